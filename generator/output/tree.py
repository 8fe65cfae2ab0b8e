"""An output folder as it is on disk: one walk over it, and one comparison with a rendered tree.

The walk finds regular files only. It reads nothing but the folder listings and each entry's
own status (``lstat``): a symbolic link, FIFO, socket or device is never opened or followed,
and a folder that cannot be listed is not entered. Each such entry is collected in
:attr:`Walk.skipped`, the one place that says what the walk passed over, with the rule that
names it (:mod:`.folders` turns them into located problems). A file is read only through
:func:`read_regular`, which never follows a link nor waits on a FIFO.

The comparison says how a folder differs from a :class:`~generator.artifacts.RenderedTree`,
one file at a time: sizes first, then bytes, then permission bits, so only one file's bytes
are held at once. It makes unified diffs only when asked (``meshgen check`` and ``diff``
print them; the writer, the build record and the docs need only the kinds).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..enums import StrEnum

TYPE_CHECKING = False  # the build record walks from the quick path of an unchanged rebuild
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import ParamSpec

    from ..artifacts import RenderedTree

    P = ParamSpec("P")


class DifferenceKind(StrEnum):
    MISSING = "missing"
    """The tree has the file; the folder does not."""
    CHANGED = "changed"
    """Both have it, with other bytes (or the folder's is not a regular file)."""
    EXTRA = "extra"
    """The folder has an entry the tree does not."""
    MODE = "mode"
    """Same bytes, other permission bits."""
    STALE = "stale"
    """A whole generated folder whose topology is gone."""


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    kind: DifferenceKind
    diff: str = ""
    """A unified diff (or a line saying what differs); empty unless diffs were asked for."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One regular file: ``path`` relative to the folder with ``/`` separators, and its lstat."""

    path: str
    size: int
    mtime_ns: int
    mode: int
    """``st_mode``: type and permission bits."""

    @property
    def permissions(self) -> int:
        return self.mode & 0o777

    @property
    def stats(self) -> list[int]:
        """``[size, mtime_ns, mode]``, as the build record keeps a file."""
        return [self.size, self.mtime_ns, self.mode]


FileStats = dict[str, list[int]]
"""Relative path -> ``[size, mtime_ns, st_mode]`` of each file of a folder, as the build
record keeps them."""

LINK = "output-link"
SPECIAL_FILE = "output-special-file"
NOT_FOLDER = "output-not-folder"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry the walk did not read: ``path`` ('' for the folder itself), what it is, and the
    rule that names it ('' for a folder that could not be listed: an I/O error, not an entry
    meshgen did not write)."""

    path: str
    what: str
    rule: str = ""


@dataclass(frozen=True)
class Walk:
    folder: Path
    files: tuple[FileEntry, ...]
    """Sorted by path."""
    skipped: tuple[Skipped, ...]
    """Sorted by path."""

    def location(self, entry: FileEntry) -> str:
        return f"{self.folder}/{entry.path}"

    @cached_property
    def by_path(self) -> dict[str, FileEntry]:
        return {entry.path: entry for entry in self.files}

    def stats(self) -> FileStats | None:
        """The status of every file found, as the build record keeps them; None when the walk
        passed over anything (a link or a special file there is never up to date)."""
        if self.skipped:
            return None
        return {entry.path: entry.stats for entry in self.files}

    def read(self, path: str, limit: int | None = None) -> bytes:
        """The bytes of ``path``, a regular file the walk found (at most ``limit`` of them);
        OSError for anything else, without opening it."""
        entry = self.by_path.get(path)
        if entry is None:
            raise FileNotFoundError(errno.ENOENT, "not a regular file of the folder", path)
        return read_regular(self.location(entry), limit)


def skipped_entry(path: str, mode: int, suffix: str = "") -> Skipped:
    """What the walk records for an entry of status ``mode`` that is not a folder."""
    if stat.S_ISLNK(mode):
        return Skipped(path, "a symbolic link" + suffix, LINK)
    if stat.S_ISREG(mode):
        return Skipped(path, "a file" + suffix, NOT_FOLDER)
    if stat.S_ISFIFO(mode):
        what = "a FIFO"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    else:
        what = "not a regular file"
    return Skipped(path, what + suffix, SPECIAL_FILE)


def walk(folder: Path) -> Walk:
    """Every regular file under ``folder``; a missing folder holds none."""
    files: list[FileEntry] = []
    skipped: list[Skipped] = []
    try:
        top = os.lstat(folder)
    except FileNotFoundError:
        return Walk(folder, (), ())
    except OSError as exc:
        return Walk(folder, (), (Skipped("", f"a folder that cannot be read ({exc.strerror})"),))
    if not stat.S_ISDIR(top.st_mode):
        return Walk(folder, (), (skipped_entry("", top.st_mode, ", not a folder"),))
    stack = [(os.fspath(folder), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            skipped.append(Skipped(prefix.rstrip("/"),
                                   f"a folder that cannot be read ({exc.strerror})"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):  # from the listing: no system call
                stack.append((entry.path, rel + "/"))
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since the folder was listed
            if stat.S_ISREG(info.st_mode):
                files.append(FileEntry(rel, info.st_size, info.st_mtime_ns, info.st_mode))
            else:
                skipped.append(skipped_entry(rel, info.st_mode))
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return Walk(folder, tuple(files), tuple(skipped))


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def read_regular(location: str, limit: int | None = None) -> bytes:
    """The bytes of a regular file (at most ``limit`` of them), never through a symbolic link
    and never blocking on a FIFO or reading a device that took the file's place after the
    walk; OSError otherwise."""
    if not _NOFOLLOW and os.path.islink(location):  # Windows: no O_NOFOLLOW
        raise OSError(errno.ELOOP, "a symbolic link", location)
    fd = os.open(location, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", location)
        if limit is not None:
            return os.read(fd, limit)
        first = os.read(fd, info.st_size + 1)
        if len(first) <= info.st_size:  # a short read of a regular file ends at its end
            return first
        chunks = [first]
        while chunks[-1]:  # until the end, as the file has grown since
            chunks.append(os.read(fd, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Comparison:
    """How a folder differs from a rendered tree."""

    differences: tuple[Difference, ...]
    """Sorted by path."""
    unchanged: frozenset[str]
    """Files of the tree the folder already holds, bytes and mode."""
    skipped: tuple[Skipped, ...]
    """What the walk passed over; each is among the differences, except the folder itself
    (whose files are then all missing)."""
    found: Walk
    """The walk of the folder that was compared."""


def compare(folder: Path, tree: RenderedTree, diffs: bool = False,
            found: Walk | None = None, digests: Mapping[str, bytes | None] | None = None
            ) -> Comparison:
    """How ``folder`` differs from ``tree``; with ``diffs``, each difference carries its diff.
    ``found`` is the walk of ``folder`` when the caller has made it already, and ``digests``
    the SHA-256 of each file it found, where they were taken as the files were read
    (:mod:`.prefetch`): a file whose digest is the rendered one's is the same file, and only
    the others are read (for their diff).

    Without diffs a file whose size differs is not read at all.
    """
    if found is None:
        found = walk(folder)
    label = f"{folder.parent.name}/{tree.name}"
    out: list[Difference] = []
    unchanged: set[str] = set()
    known = digests or {}

    def add(path: str, kind: DifferenceKind, diff: Callable[P, str], *args: P.args,
            **kwargs: P.kwargs) -> None:
        out.append(Difference(path, kind, diff(*args, **kwargs) if diffs else ""))

    for entry in found.files:
        path = entry.path
        shown = f"{label}/{path}" if diffs else ""
        want = tree.files.get(path)
        if want is None:
            add(path, DifferenceKind.EXTRA, _removed, found.location(entry), shown)
        elif entry.size != len(want) and not diffs:
            out.append(Difference(path, DifferenceKind.CHANGED))  # no need to read it
        else:
            digest, rendered = known.get(path), tree.digests.get(path)
            if digest is None or rendered is None:
                have = _read(found.location(entry))
                if have != want:
                    add(path, DifferenceKind.CHANGED, _changed, have, want, shown)
                    continue
            elif digest != rendered:
                add(path, DifferenceKind.CHANGED, _changed_at, found.location(entry), want,
                    shown)
                continue
            if entry.permissions != tree.mode(path):
                add(path, DifferenceKind.MODE, _mode_line, shown, entry.permissions,
                    tree.mode(path))
            else:
                unchanged.add(path)
    seen = {entry.path for entry in found.files}
    for skip in found.skipped:
        if skip.path:
            seen.add(skip.path)
            kind = DifferenceKind.CHANGED if skip.path in tree.files else DifferenceKind.EXTRA
            add(skip.path, kind, _not_regular_line, f"{label}/{skip.path}", skip.what)
    for path, want in tree.files.items():
        if path not in seen:
            add(path, DifferenceKind.MISSING, _unified, b"", want, f"{label}/{path}", True)
    out.sort(key=lambda d: d.path)
    return Comparison(tuple(out), frozenset(unchanged), found.skipped, found)


def _read(location: str) -> bytes | OSError:
    try:
        return read_regular(location)
    except OSError as exc:
        return exc


def _changed(have: bytes | OSError, want: bytes, shown: str, created: bool | None = None) -> str:
    if isinstance(have, OSError):
        return f"cannot read {shown}: {have.strerror or have}\n"
    return _unified(have, want, shown, created)


def _changed_at(location: str, want: bytes, shown: str) -> str:
    return _changed(_read(location), want, shown)


def _removed(location: str, shown: str) -> str:
    return _changed(_read(location), b"", shown, created=False)


def _mode_line(shown: str, have: int, want: int) -> str:
    return f"mode of {shown} is {have:o}, expected {want:o}\n"


def _not_regular_line(shown: str, what: str) -> str:
    return f"{shown} is {what}, not a regular file\n"


def _unified(old: bytes, new: bytes, label: str, created: bool | None = None) -> str:
    import difflib

    try:
        a = old.decode("utf-8").splitlines(keepends=True)
        b = new.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary files differ: {label}\n"
    from_label = "/dev/null" if created is True else f"a/{label}"
    to_label = "/dev/null" if created is False else f"b/{label}"
    lines = difflib.unified_diff(a, b, from_label, to_label)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
