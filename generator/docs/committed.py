"""What is committed under ``output/<name>/``, and whether it matches the topology.

The files are listed from MANIFEST.json (with the kind of each); their contents stay on disk
until a page shows them, so a topology with tens of thousands of files costs little memory.
When the folder is missing the files are rendered in memory instead and the pages say they are
not committed. The folder is found as every command finds it (:mod:`generator.output.reading`):
only regular files the walk found are ever read, never through a link and never a FIFO or a
device; anything else is a located problem the site reports, and a page says it is not shown.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from ..artifacts import MANIFEST
from ..errors import Problem
from ..model import Topology
from ..output.reading import look
from ..output.tree import Difference, Walk, compare, read_regular

_LANGUAGES = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".sh": "bash",
    ".md": "markdown",
    ".toml": "toml",
    ".ini": "ini",
    ".py": "python",
}

MANIFEST_KIND = "index of generated files"
MISSING_ON_DISK = b"(listed in MANIFEST.json but missing on disk)\n"
NOT_SHOWN = b"(not a regular file meshgen wrote: not shown)\n"


class Status(str, enum.Enum):
    CURRENT = "current"
    """The committed files are exactly what a build writes."""
    STALE = "stale"
    """The committed files differ from what a build writes."""
    MISSING = "missing"
    """Nothing is committed; the files shown were rendered in memory."""
    UNCHECKED = "unchecked"
    """The topology is invalid, so there is nothing to compare the committed files with."""


@dataclass(frozen=True)
class GeneratedFile:
    path: str
    """Relative to ``output/<name>/``, with ``/`` separators."""
    kind: str
    size: int
    """In bytes."""
    source: Path | None = None
    """Where the committed file is read from; None for a file rendered in memory."""
    rendered: bytes = b""
    """The contents of a file rendered in memory, or what is shown instead of a listed file
    that is not on disk as a regular file (``source`` is None)."""

    @property
    def group(self) -> str:
        """The cluster folder the file lives in, or '' for files of the whole topology."""
        head, sep, _ = self.path.partition("/")
        return head if sep else ""

    @property
    def language(self) -> str:
        return language_of(self.path, self.head())

    def data(self) -> bytes:
        """The file's bytes, read now (committed files are not kept in memory)."""
        if self.source is None:
            return self.rendered
        try:
            return read_regular(str(self.source))
        except OSError:
            return MISSING_ON_DISK

    def text(self) -> str:
        return _decode(self.data())

    def head(self) -> str:
        """The first line, enough to recognise a script by its shebang."""
        if self.source is None:
            return _decode(self.rendered[:200])
        try:
            return _decode(read_regular(str(self.source), 200))
        except OSError:
            return ""


@dataclass(frozen=True)
class OutputState:
    folder: Path
    status: Status
    files: tuple[GeneratedFile, ...]
    differences: tuple[Difference, ...] = ()
    failure: str = ""
    """Why the topology could not be rendered for comparison, when it could not."""
    problems: tuple[Problem, ...] = ()
    """Entries of the folder meshgen did not write (links, FIFOs, ...), never read."""

    @cached_property
    def _paths(self) -> frozenset[str]:
        return frozenset(f.path for f in self.files)

    @cached_property
    def by_group(self) -> dict[str, tuple[GeneratedFile, ...]]:
        """The files of each top-level folder ('' for the files of the whole topology)."""
        groups: dict[str, list[GeneratedFile]] = {}
        for f in self.files:
            groups.setdefault(f.group, []).append(f)
        return {group: tuple(files) for group, files in groups.items()}

    def has(self, path: str) -> bool:
        return path in self._paths

    def paths_under(self, prefix: str) -> tuple[str, ...]:
        """Paths starting with ``prefix``, which names a folder (ends with ``/``)."""
        group = prefix.partition("/")[0]
        return tuple(f.path for f in self.by_group.get(group, ()) if f.path.startswith(prefix))

    @property
    def note(self) -> str:
        """The state in a few words, for lists of topologies."""
        return {
            Status.CURRENT: "up to date",
            Status.STALE: "stale",
            Status.MISSING: "not committed",
            Status.UNCHECKED: "not checked",
        }[self.status]


def language_of(path: str, text: str = "") -> str:
    """The highlighter language for a file, from its extension (or its shebang)."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _LANGUAGES:
        return _LANGUAGES[suffix]
    if text.startswith("#!") and ("sh" in text.partition("\n")[0]):
        return "bash"
    return "text"


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def read_committed(found: Walk) -> tuple[GeneratedFile, ...] | None:
    """Files listed in the walked folder's MANIFEST.json (and the manifest), or None without
    one. A listed path that is not a regular file of the folder is shown as missing, or as
    not shown when it is something meshgen did not write; it is never opened."""
    try:
        manifest = json.loads(found.read(MANIFEST))
    except (OSError, ValueError):
        return None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        return None
    foreign = {skipped.path for skipped in found.skipped}
    files = []
    for path, entry in [*sorted(listed.items()), (MANIFEST, {"kind": MANIFEST_KIND})]:
        kind = entry.get("kind", "text") if isinstance(entry, dict) else "text"
        on_disk = found.by_path.get(path)
        if on_disk is not None:
            files.append(GeneratedFile(str(path), str(kind), on_disk.size,
                                       Path(found.location(on_disk))))
            continue
        # MANIFEST.json is not trusted to keep its paths inside the folder (or to name files).
        if (not path or path.startswith("/") or "\x00" in path
                or ".." in PurePosixPath(path).parts):
            continue
        shown = NOT_SHOWN if path in foreign else MISSING_ON_DISK
        files.append(GeneratedFile(str(path), str(kind), len(shown), rendered=shown))
    return tuple(files)


def output_state(output_root: Path, name: str, topology: Topology | None,
                 source: Path | None = None) -> OutputState:
    """The committed files of ``name`` and how they compare with what ``topology`` renders.

    ``topology`` is the model of a valid topology, or None when it has errors. When the
    record of the last build says that ``source`` (the topology's file, as it is now) built
    exactly the files the folder holds, with this meshgen, they are what it renders: they
    are not rendered and compared again, as an unchanged rebuild is not.
    """
    from ..api import render
    from ..output.record import unchanged

    found = look(output_root, [name])
    walked = found.walks[name]
    folder = walked.folder
    committed = read_committed(walked)
    if topology is None:
        return OutputState(folder, Status.UNCHECKED if committed else Status.MISSING,
                           committed or (), problems=found.problems)
    if (committed is not None and source is not None
            and unchanged([source], output_root, prune=False) == [(name, len(committed))]):
        return OutputState(folder, Status.CURRENT, committed, problems=found.problems)
    try:
        tree = render(topology)
    except Exception as exc:  # one broken target must not take the whole site down
        failure = f"rendering failed: {type(exc).__name__}: {exc}"
        return OutputState(folder, Status.UNCHECKED if committed else Status.MISSING,
                           committed or (), failure=failure, problems=found.problems)
    if committed is None:
        rendered = tuple(
            GeneratedFile(path, tree.kinds.get(path, MANIFEST_KIND), len(data), rendered=data)
            for path, data in tree.files.items()
        )
        return OutputState(folder, Status.MISSING, rendered, problems=found.problems)
    # Which files differ, not how: a line diff of a large script is slow, and the pages only
    # name the files.
    differences = compare(folder, tree, found=walked).differences
    return OutputState(folder, Status.STALE if differences else Status.CURRENT, committed,
                       differences, problems=found.problems)
