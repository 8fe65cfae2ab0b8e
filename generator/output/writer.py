"""Writing a rendered tree to disk, atomically.

``write_tree`` compares the folder with the rendered tree (:mod:`.tree`), builds the new tree
beside the old one — unchanged files are hard links to the old ones, so they are not rewritten
— and swaps the two directories in one ``renameat2(RENAME_EXCHANGE)``: a failure or a kill at
any moment leaves either the old tree or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..artifacts import MANIFEST, RenderedTree, require_folder_name, require_inside
from ..errors import InputError
from .tree import DifferenceKind, compare

STAGING_PREFIX = ".meshgen-staging-"
RETIRED_PREFIX = ".meshgen-retired-"
LOCK_NAME = ".meshgen.lock"


@dataclass
class WriteReport:
    name: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        if not self.touched:
            return f"{self.name}: up to date ({self.unchanged} files)"
        parts = [f"{len(self.added)} added", f"{len(self.changed)} changed",
                 f"{len(self.removed)} removed", f"{self.unchanged} unchanged"]
        return f"{self.name}: " + ", ".join(parts)


def write_tree(root: Path, tree: RenderedTree) -> WriteReport:
    """Make ``root/<name>`` hold exactly ``tree``, atomically."""
    require_folder_name(tree.name)
    for path in tree.files:
        require_inside(path)
    target = root / tree.name
    report = WriteReport(tree.name)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root):
            recover(root)
            comparison = compare(target, tree)
            for difference in comparison.differences:
                if difference.kind is DifferenceKind.MISSING:
                    report.added.append(difference.path)
                elif difference.kind is DifferenceKind.EXTRA:
                    report.removed.append(difference.path)
                else:
                    report.changed.append(difference.path)
            report.unchanged = len(comparison.unchanged)
            if not report.touched and target.is_dir():
                return report
            staging = _stage(root, target, tree, comparison.unchanged)
            _swap_in(staging, target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    return report


def _stage(root: Path, target: Path, tree: RenderedTree, same: frozenset[str]) -> Path:
    """The new tree beside the old; files in ``same`` are hard links to the old ones."""
    staging = root / f"{STAGING_PREFIX}{tree.name}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o755)
    try:
        made: set[Path] = {staging}
        for path, data in tree.files.items():
            dest = staging / path
            if dest.parent not in made:
                dest.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
                # Only folders inside the staging tree: its parents belong to the user.
                folder = dest.parent
                while folder not in made:
                    made.add(folder)
                    folder = folder.parent
            mode = tree.mode(path)
            if path in same:
                try:
                    os.link(target / path, dest)
                    continue
                except OSError:
                    pass
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        for directory in made:
            os.chmod(directory, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Any:
    """The C library's renameat2, or None; looked up once (find_library runs ldconfig)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    return getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system can't."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        _remove(staging)
        return
    # Without an atomic exchange: retire the old tree first; recover() puts it back if the
    # process dies before the new tree is in place.
    retired = target.parent / f"{RETIRED_PREFIX}{target.name}"
    os.rename(target, retired)
    os.rename(staging, target)
    _remove(retired)


def recover(root: Path) -> None:
    """Undo what an interrupted write left behind: staging trees and retired trees."""
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX):
            _remove(entry)
        elif entry.name.startswith(RETIRED_PREFIX):
            original = root / entry.name[len(RETIRED_PREFIX):]
            if original.exists():
                _remove(entry)
            else:
                os.rename(entry, original)


def _remove(path: Path) -> None:
    """Delete a tree meshgen moved aside. It may be a symbolic link the user had put in place
    of an output folder: the link goes, never what it points at."""
    if path.is_symlink():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    import fcntl

    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_tree(root: Path, name: str) -> None:
    """Delete a generated folder whose topology is gone (only one meshgen wrote)."""
    target = root / name
    if generated_folder(target):
        with _locked(root):
            _remove(target)


def generated_folder(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == "meshgen"
