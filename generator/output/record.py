"""Skip a build whose inputs and outputs have not changed since the last one.

After each build a small record (git-ignored, beside the output folders) keeps, per topology
file, its sha256, the folder it wrote and the size and modification time of every file there,
plus a fingerprint of meshgen itself (its code, templates, catalog and schema). A later build
with the same fingerprint, the same topology bytes and an output tree whose files all still
have the recorded size and time has nothing to do, which it can tell without loading,
validating or rendering anything. ``meshgen check`` never takes this shortcut: it always
renders and compares bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import __version__
from .tree import walk

RECORD = ".meshgen-record.json"
_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCE_SUFFIXES = (".py", ".j2", ".yaml", ".json")

FileStats = dict[str, list[int]]


@functools.cache
def fingerprint() -> str:
    """Identity of this meshgen: version plus size and time of each file it renders from."""
    digest = hashlib.sha256(__version__.encode())
    roots = [_PACKAGE, _PACKAGE.parent / "schemas"]
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def tree_stats(folder: Path) -> FileStats | None:
    """Relative path -> [size, mtime_ns, mode] of every file under ``folder``; None when the
    walk passed over anything (a link or a special file there is never up to date)."""
    found = walk(folder)
    if found.skipped:
        return None
    return {f.path: [f.size, f.mtime_ns, f.mode] for f in found.files}


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _key(path: Path) -> str:
    return str(path.resolve())


def _load(output: Path) -> dict[str, object]:
    try:
        record = json.loads((output / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
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
        if any(d.is_dir() and not d.name.startswith(".") and d.name not in names
               for d in output.iterdir()):
            return None  # maybe a folder whose topology is gone: let the build decide
    return done


def remember(paths: Iterable[Path], names: Iterable[str], digests: Iterable[str],
             output: Path) -> None:
    """Record what a successful build wrote (best effort: a failure only costs a rebuild).

    ``digests`` are the sha256 of the bytes each topology was built from, not of the file as
    it is now: a file edited during the build must not be recorded as built.
    """
    entries = {}
    for path, name, digest in zip(paths, names, digests, strict=True):
        stats = tree_stats(output / name)
        if stats is not None:
            entries[_key(path)] = {"sha256": digest, "name": name, "files": stats}
    record = {"fingerprint": fingerprint(), "topologies": entries}
    temporary = output / f"{RECORD}.{os.getpid()}"
    try:
        temporary.write_text(json.dumps(record, sort_keys=True), "utf-8")
        os.replace(temporary, output / RECORD)
    except OSError:
        temporary.unlink(missing_ok=True)


def forget(output: Path) -> None:
    (output / RECORD).unlink(missing_ok=True)
