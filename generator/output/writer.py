"""Writing rendered trees to disk, atomically, under the output folder's lock.

:func:`writing` takes the lock of the output root, puts back what an interrupted write left
(:func:`recover`) and hands out a :class:`Writer`. The writer compares each folder with its
rendered tree (:mod:`.tree`), refuses to touch a folder holding what meshgen did not write
(:mod:`.folders`), builds the new tree beside the old one (unchanged files are hard links to
the old ones, so they are not rewritten) and swaps the two. Whatever else must agree with the
trees (the build record) is written before the lock is let go.

The swap and the lock take the best the system offers:

* Linux: ``renameat2(RENAME_EXCHANGE)`` swaps the two folders in one step, and the lock is
  ``flock``. A failure or a kill at any moment leaves the old tree or the new one.
* macOS: ``renamex_np(RENAME_SWAP)`` where the file system has it (APFS, HFS+), and ``flock``.
* Elsewhere, or where the file system refuses the exchange: two renames, the old tree moved
  aside and the new one moved in. A kill between the two leaves ``output/<name>`` absent;
  the next meshgen command that reads the output folder (build, check, diff, verify, docs)
  moves the old tree back first. A failed second rename is undone at once.
* Without ``fcntl`` (Windows) the lock comes from ``filelock``: Windows' own file lock, which
  the system lets go when the process ends; a POSIX system without ``fcntl`` gets filelock's
  marker file, which a later process takes over once the process that wrote it is gone.

``MESHGEN_PORTABLE_WRITER=1`` turns the fast paths off (two renames, filelock's marker file)
so that the fallback can be tested where the fast paths exist.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..artifacts import RenderedTree, require_folder_name, require_inside
from ..errors import InputError
from .folders import foreign_problem, foreign_problems, generated_folder, refuse, require_root
from .pause import pause
from .tree import Comparison, DifferenceKind, FileStats, compare, skipped_entry, walk

STAGING_PREFIX = ".meshgen-staging-"
RETIRED_PREFIX = ".meshgen-retired-"
LOCK_NAME = ".meshgen.lock"
SOFT_LOCK_NAME = ".meshgen.softlock"
"""The marker file of filelock's lock, where neither flock nor Windows' lock exists."""
PORTABLE_VARIABLE = "MESHGEN_PORTABLE_WRITER"


@dataclass
class WriteReport:
    name: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    files: FileStats | None = None
    """``[size, mtime_ns, mode]`` of every file the folder holds after the write, as the
    build record keeps them; None when not known."""

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        if not self.touched:
            return f"{self.name}: up to date ({self.unchanged} files)"
        parts = [f"{len(self.added)} added", f"{len(self.changed)} changed",
                 f"{len(self.removed)} removed", f"{self.unchanged} unchanged"]
        return f"{self.name}: " + ", ".join(parts)


class Writer:
    """The output root, held under its lock (see :func:`writing`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def compare(self, trees: Iterable[RenderedTree]) -> list[Comparison]:
        """How each tree's folder differs from it. Every folder is walked first, and every
        entry meshgen did not write, in any of them, is refused before a file is read."""
        trees = list(trees)
        _require_plain(trees)
        walks = [walk(self.root / tree.name) for tree in trees]
        refuse(problem for found in walks for problem in foreign_problems(found))
        return [compare(found.folder, tree, found=found)
                for tree, found in zip(trees, walks, strict=True)]

    def write(self, tree: RenderedTree, comparison: Comparison) -> WriteReport:
        """Make ``root/<name>`` hold exactly ``tree``, atomically, from its comparison."""
        target = self.root / tree.name
        report = WriteReport(tree.name)
        for difference in comparison.differences:
            if difference.kind is DifferenceKind.MISSING:
                report.added.append(difference.path)
            elif difference.kind is DifferenceKind.EXTRA:
                report.removed.append(difference.path)
            else:
                report.changed.append(difference.path)
        report.unchanged = len(comparison.unchanged)
        if not report.touched and _is_folder(target):
            report.files = comparison.found.stats()
            return report
        try:
            staging, report.files = _stage(self.root, target, tree, comparison)
            try:
                _swap_in(staging, target)
            except OSError:
                _remove(staging)
                raise
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
        pause("swapped")
        return report

    def remove(self, name: str) -> None:
        """Delete a generated folder whose topology is gone (only one meshgen wrote)."""
        target = self.root / name
        if generated_folder(target):
            _remove(target)


@contextlib.contextmanager
def writing(root: Path) -> Iterator[Writer]:
    """The output root (made when missing) under its lock, with interrupted writes recovered.
    An I/O error inside, the caller's included, becomes one InputError naming the path and
    the reason (a read-only or vanished output folder is exit 2, never a crash)."""
    try:
        if not require_root(root):
            root.mkdir(parents=True, exist_ok=True)
        with _locked(root):
            recover(root)
            pause("locked")
            yield Writer(root)
    except OSError as exc:
        where = exc.filename if exc.filename is not None else root
        raise InputError(f"cannot write {where}: {exc.strerror or exc}") from None


def write_tree(root: Path, tree: RenderedTree) -> WriteReport:
    """Make ``root/<name>`` hold exactly ``tree``, atomically."""
    _require_plain([tree])  # before the output folder is made or locked
    with writing(root) as writer:
        (comparison,) = writer.compare([tree])
        return writer.write(tree, comparison)


def _require_plain(trees: Iterable[RenderedTree]) -> None:
    """Refuse a tree (even one made by hand) whose name or paths could leave its folder."""
    for tree in trees:
        require_folder_name(tree.name)
        for path in tree.files:
            require_inside(path)


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _stage(root: Path, target: Path, tree: RenderedTree, comparison: Comparison
           ) -> tuple[Path, FileStats]:
    """The new tree beside the old, and ``[size, mtime_ns, mode]`` of each of its files (for
    the build record, which need not walk the tree again). Files the comparison found
    unchanged are hard links to the old ones; every other file is written, and its status
    taken from the open file: the mode asked for is set only where the system did not give
    it already (a umask or a default ACL that takes bits away)."""
    staging = root / f"{STAGING_PREFIX}{tree.name}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o755)
    base, old = os.fspath(staging) + os.sep, os.fspath(target) + os.sep
    same, found = comparison.unchanged, comparison.found
    stats: FileStats = {}
    try:
        made: set[str] = {""}
        for path, data in tree.files.items():
            dest = base + path
            parent = path.rpartition("/")[0]
            if parent not in made:
                os.makedirs(base + parent, mode=0o755, exist_ok=True)
                # Only folders inside the staging tree: its parents belong to the user.
                while parent not in made:
                    made.add(parent)
                    parent = parent.rpartition("/")[0]
            if path in same:
                try:
                    os.link(old + path, dest)
                except OSError:
                    pass
                else:
                    stats[path] = found.by_path[path].stats
                    continue
            stats[path] = _write_file(dest, data, tree.mode(path))
        for directory in made:
            os.chmod(base + directory, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging, stats


def _write_file(dest: str, data: bytes, mode: int) -> list[int]:
    """Write a new file of ``mode``; its ``[size, mtime_ns, mode]`` once written."""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        info = os.fstat(fd)
        if info.st_mode & 0o7777 != mode:
            if _FCHMOD:
                os.fchmod(fd, mode)
            else:  # Windows
                os.chmod(dest, mode)
            info = os.fstat(fd)
    finally:
        os.close(fd)
    return [info.st_size, info.st_mtime_ns, info.st_mode]


# --- the swap -------------------------------------------------------------------------------

_BINARY = getattr(os, "O_BINARY", 0)
_FCHMOD = hasattr(os, "fchmod")
_RENAME_EXCHANGE = 2  # Linux, <linux/fs.h>
_RENAME_SWAP = 2  # macOS, <stdio.h>
_AT_FDCWD = -100
_UNSUPPORTED = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})


def _fast_paths() -> bool:
    return not os.environ.get(PORTABLE_VARIABLE)


@functools.cache
def _exchange_call() -> Callable[[bytes, bytes], int] | None:
    """The C library's call that swaps two paths in one step, or None; looked up once."""
    import ctypes

    if sys.platform == "win32":
        return None
    if sys.platform.startswith("linux"):
        # The symbols of the running program and the libraries it loaded, the C library among
        # them: no search for its file (find_library runs ldconfig, a process of its own).
        libc = ctypes.CDLL(None, use_errno=True)
    else:
        import ctypes.util

        libc_name = ctypes.util.find_library("c")
        if libc_name is None:
            return None
        libc = ctypes.CDLL(libc_name, use_errno=True)
    if sys.platform == "darwin":
        renamex_np = getattr(libc, "renamex_np", None)  # macOS 10.12 and later
        if renamex_np is None:
            return None
        renamex_np.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint)
        renamex_np.restype = ctypes.c_int
        return lambda a, b: int(renamex_np(a, b, _RENAME_SWAP))
    renameat2 = getattr(libc, "renameat2", None)  # glibc 2.28 and later
    if renameat2 is None:
        return None
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint)
    renameat2.restype = ctypes.c_int
    return lambda a, b: int(renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where the system or the file system can't."""
    call = _exchange_call() if _fast_paths() else None
    if call is None:
        return False
    if call(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    import ctypes

    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        _remove(staging)
        return
    # Two renames: retire the old tree first. recover() puts it back if the process dies
    # before the new tree is in place; a second rename that fails is undone here.
    retired = target.parent / f"{RETIRED_PREFIX}{target.name}"
    os.rename(target, retired)
    pause("retired")
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(retired, target)
        raise
    _remove(retired)


def interrupted(root: Path) -> list[str]:
    """Folders an interrupted swap left moved aside, with nothing in their place."""
    try:
        names = os.listdir(root)
    except OSError:
        return []
    return sorted(name[len(RETIRED_PREFIX):] for name in names
                  if name.startswith(RETIRED_PREFIX)
                  and not os.path.lexists(root / name[len(RETIRED_PREFIX):]))


def recover(root: Path) -> None:
    """Undo what an interrupted write left behind: staging trees go, and a retired tree goes
    back in its place when nothing took it (or goes, when the new tree is in place)."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return
    for name in names:
        entry = root / name
        if name.startswith(STAGING_PREFIX):
            _remove(entry)
        elif name.startswith(RETIRED_PREFIX):
            original = root / name[len(RETIRED_PREFIX):]
            if os.path.lexists(original):
                _remove(entry)
            else:
                os.rename(entry, original)


def _remove(path: Path) -> None:
    """Delete an entry meshgen moved aside. It may be a symbolic link the user had put in
    place of an output folder: the link goes, never what it points at."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


# --- the lock -------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    pause("locking")
    with _flock(root) if _fast_paths() and _has_flock() else _portable(root):
        yield


def _has_flock() -> bool:
    try:
        import fcntl  # noqa: F401
    except ImportError:  # Windows
        return False
    return True


@contextlib.contextmanager
def _flock(root: Path) -> Iterator[None]:
    """``flock`` on the lock file, which must be a regular file (never a link followed).
    It is opened for reading only: flock needs no more, and a read-only output folder that
    already has one can then still be found up to date."""
    import fcntl

    path = root / LOCK_NAME
    flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        refuse([foreign_problem(str(path), skipped_entry(LOCK_NAME, os.lstat(path).st_mode))])
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            refuse([foreign_problem(str(path), skipped_entry(LOCK_NAME, mode))])
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _portable(root: Path) -> Iterator[None]:
    """filelock's lock: Windows' own, or elsewhere a marker file naming its owner."""
    import filelock

    lock: filelock.BaseFileLock
    if sys.platform == "win32":
        lock = filelock.WindowsFileLock(str(root / LOCK_NAME))
    else:
        lock = filelock.SoftFileLock(str(root / SOFT_LOCK_NAME))
    with lock:
        yield
