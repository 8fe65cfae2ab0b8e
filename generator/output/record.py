"""Skip a build whose inputs and outputs have not changed since the last one.

After each build a small record (git-ignored, beside the output folders) keeps, per topology
file, its sha256, the folder it wrote and the size and modification time of every file there,
plus a fingerprint of meshgen itself (its code, templates, catalog and schema). A later build
with the same fingerprint, the same topology bytes and an output tree whose files all still
have the recorded size and time has nothing to do, which it can tell without loading,
validating or rendering anything. ``meshgen check`` never takes this shortcut: it always
renders and compares every file (its bytes, or their SHA-256 taken as it was read).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..inputs.source_file import Refused, read_topology_bytes
from .folders import folders_in
from .tree import FileStats, read_regular, walk

RECORD = ".meshgen-record.json"
_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCE_SUFFIXES = (".py", ".j2", ".yaml", ".json")


@functools.cache
def fingerprint() -> str:
    """Identity of this meshgen: version plus size and time of each file it renders from."""
    digest = hashlib.sha256(__version__.encode())
    for root in (_PACKAGE, _PACKAGE.parent / "schemas"):
        found: list[str] = []
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = [name for name in subfolders if name != "__pycache__"]
            found.extend(os.path.join(folder, name) for name in files
                         if name.endswith(_SOURCE_SUFFIXES))
        for path in sorted(found):
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def tree_stats(folder: Path) -> FileStats | None:
    """Relative path -> [size, mtime_ns, mode] of every file under ``folder``; None when the
    walk passed over anything (a link or a special file there is never up to date)."""
    return walk(folder).stats()


def _digest(path: Path) -> str | None:
    """The sha256 of a topology file, read as the loader reads it (a regular file, its size
    looked at first); None for anything the loader would refuse, which is never up to date."""
    try:
        return hashlib.sha256(read_topology_bytes(path)).hexdigest()
    except Refused:
        return None


def _key(path: Path) -> str:
    return str(path.resolve())


def _load(output: Path) -> dict[str, object]:
    try:
        record = json.loads(read_regular(str(output / RECORD)))
    except (OSError, ValueError):
        return {}  # none, or not a regular file: never up to date
    return record if isinstance(record, dict) else {}


def unchanged(paths: Sequence[Path], output: Path, prune: bool) -> list[tuple[str, int]] | None:
    """(folder, file count) of each topology when nothing needs doing, else None."""
    record = _load(output)
    if record.get("fingerprint") != fingerprint():
        return None
    entries = record.get("topologies")
    if not isinstance(entries, dict):
        return None
    done: list[tuple[str, int]] = []
    for path in paths:
        entry = entries.get(_key(path))
        if not isinstance(entry, dict) or entry.get("sha256") != _digest(path):
            return None
        name = str(entry.get("name", ""))
        stats = tree_stats(output / name) if name else None
        if stats is None or stats != entry.get("files"):
            return None
        done.append((name, len(entry["files"])))
    if prune:
        names = {name for name, _ in done}
        try:
            others = set(folders_in(output)) - names
        except InputError:
            return None
        if others:
            return None  # maybe a folder whose topology is gone: let the build decide
    return done


def remember(paths: Iterable[Path], folders: Iterable[tuple[str, FileStats | None]],
             digests: Iterable[str], output: Path) -> None:
    """Record what a successful build wrote (best effort: a failure only costs a rebuild).

    Called while the build still holds the output folder's lock, right after its trees were
    swapped in (and :func:`forget` before the first swap), so the record can only describe
    trees that are on disk: another build's trees cannot come in between.

    ``digests`` are the sha256 of the bytes each topology was built from, not of the file as
    it is now: a file edited during the build must not be recorded as built.

    ``folders`` are the folder each topology wrote, with the status of its files as the
    writer left them; where that is not known (None), the folder is walked.
    """
    entries = {}
    for path, (name, written), digest in zip(paths, folders, digests, strict=True):
        stats = written if written is not None else tree_stats(output / name)
        if stats is not None:
            entries[_key(path)] = {"sha256": digest, "name": name, "files": stats}
    record = {"fingerprint": fingerprint(), "topologies": entries}
    import tempfile  # not on the quick path of an unchanged rebuild

    try:
        fd, temporary = tempfile.mkstemp(prefix=f"{RECORD}.", dir=output)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True))
        os.chmod(temporary, 0o644)
        os.replace(temporary, output / RECORD)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def forget(output: Path) -> None:
    """Drop the record before a tree is swapped: no record is never wrong."""
    (output / RECORD).unlink(missing_ok=True)
