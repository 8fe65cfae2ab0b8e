"""What is committed under ``output/<name>/``, and whether it matches the topology.

The files are listed from MANIFEST.json (with the kind of each) and read from disk, so a
topology page shows exactly what would be applied. When the folder is missing the files are
rendered in memory instead and the page says they are not committed.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..model import Topology
from ..writer import MANIFEST, compare_tree

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
    text: str

    @property
    def group(self) -> str:
        """The cluster folder the file lives in, or '' for files of the whole topology."""
        head, sep, _ = self.path.partition("/")
        return head if sep else ""

    @property
    def language(self) -> str:
        return language_of(self.path, self.text)


@dataclass(frozen=True)
class Differences:
    path: str
    kind: str  # missing | changed | extra | mode


@dataclass(frozen=True)
class OutputState:
    folder: Path
    status: Status
    files: tuple[GeneratedFile, ...]
    differences: tuple[Differences, ...] = ()
    failure: str = ""
    """Why the topology could not be rendered for comparison, when it could not."""

    def has(self, path: str) -> bool:
        return any(f.path == path for f in self.files)

    def paths_under(self, prefix: str) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.path.startswith(prefix))

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


def read_committed(folder: Path) -> tuple[GeneratedFile, ...] | None:
    """Files listed in ``folder/MANIFEST.json`` (and the manifest), or None without one."""
    try:
        manifest_text = (folder / MANIFEST).read_text("utf-8")
        manifest = json.loads(manifest_text)
    except (OSError, ValueError):
        return None
    listed = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(listed, dict):
        return None
    files = []
    for path, entry in sorted(listed.items()):
        kind = entry.get("kind", "text") if isinstance(entry, dict) else "text"
        # MANIFEST.json is not trusted to keep its paths inside the folder.
        if not path or path.startswith("/") or ".." in PurePosixPath(path).parts:
            continue
        try:
            text = _decode((folder / path).read_bytes())
        except OSError:
            text = "(listed in MANIFEST.json but missing on disk)\n"
        files.append(GeneratedFile(str(path), str(kind), text))
    files.append(GeneratedFile(MANIFEST, MANIFEST_KIND, manifest_text))
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
            GeneratedFile(path, tree.kinds.get(path, MANIFEST_KIND), _decode(data))
            for path, data in tree.files.items()
        )
        return OutputState(folder, Status.MISSING, rendered)
    found = tuple(Differences(d.path, d.kind) for d in compare_tree(output_root, tree))
    return OutputState(folder, Status.STALE if found else Status.CURRENT, committed, found)
