"""What is committed under ``output/<name>/``, and whether it matches the topology.

The files are listed from MANIFEST.json (with the kind of each); their contents stay on disk
until a page shows them, so a topology with tens of thousands of files costs little memory.
When the folder is missing the files are rendered in memory instead and the pages say they are
not committed.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from ..artifacts import MANIFEST
from ..model import Topology
from ..output.tree import Difference, compare

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
    """The contents of a file rendered in memory (``source`` is None)."""

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
            return self.source.read_bytes()
        except OSError:
            return MISSING_ON_DISK

    def text(self) -> str:
        return _decode(self.data())

    def head(self) -> str:
        """The first line, enough to recognise a script by its shebang."""
        if self.source is None:
            return _decode(self.rendered[:200])
        try:
            with self.source.open("rb") as handle:
                return _decode(handle.read(200))
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


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return len(MISSING_ON_DISK)


def read_committed(folder: Path) -> tuple[GeneratedFile, ...] | None:
    """Files listed in ``folder/MANIFEST.json`` (and the manifest), or None without one."""
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except (OSError, ValueError):
        return None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        return None
    files = []
    for path, entry in sorted(listed.items()):
        kind = entry.get("kind", "text") if isinstance(entry, dict) else "text"
        # MANIFEST.json is not trusted to keep its paths inside the folder (or to name files).
        if (not path or path.startswith("/") or "\x00" in path
                or ".." in PurePosixPath(path).parts):
            continue
        files.append(GeneratedFile(str(path), str(kind), _size(folder / path), folder / path))
    files.append(GeneratedFile(MANIFEST, MANIFEST_KIND, _size(manifest_path), manifest_path))
    return tuple(files)


def output_state(output_root: Path, name: str, topology: Topology | None) -> OutputState:
    """The committed files of ``name`` and how they compare with what ``topology`` renders.

    ``topology`` is the model of a valid topology, or None when it has errors.
    """
    from ..api import render

    folder = output_root / name
    committed = read_committed(folder)
    if topology is None:
        return OutputState(folder, Status.UNCHECKED if committed else Status.MISSING,
                           committed or ())
    try:
        tree = render(topology)
    except Exception as exc:  # one broken target must not take the whole site down
        failure = f"rendering failed: {type(exc).__name__}: {exc}"
        return OutputState(folder, Status.UNCHECKED if committed else Status.MISSING,
                           committed or (), failure=failure)
    if committed is None:
        rendered = tuple(
            GeneratedFile(path, tree.kinds.get(path, MANIFEST_KIND), len(data), rendered=data)
            for path, data in tree.files.items()
        )
        return OutputState(folder, Status.MISSING, rendered)
    # Which files differ, not how: a line diff of a large script is slow, and the pages only
    # name the files.
    found = compare(folder, tree).differences
    return OutputState(folder, Status.STALE if found else Status.CURRENT, committed, found)
