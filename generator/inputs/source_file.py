"""Reading a topology file's bytes: a regular file of bounded size, checked before it is read.

Every place that reads a topology (the loader, and the build record that hashes it to tell an
unchanged rebuild) reads it here, so no path reads more than :data:`MAX_BYTES` or waits on a
named pipe or a device. The file is looked at with ``stat`` first; only a regular file within
the limit is opened, without blocking and without becoming a controlling terminal, and the
opened file must be the one looked at (not swapped for something else in between).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_BYTES = 1024 * 1024
"""The largest topology file meshgen reads; a topology is a few kilobytes."""

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Refused(Exception):
    """The file is not read: ``rule`` names why (``unreadable`` or ``file-too-large``)."""

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.hint = hint


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def _require_regular(info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Refused("unreadable", f"is {kind_of(info.st_mode)}, not a topology file",
                      "name a regular file; meshgen reads nothing else as a topology")


def _too_large() -> Refused:
    return Refused("file-too-large", f"file is larger than {MAX_BYTES // 1024} KiB",
                   "a topology is a few kilobytes; check that the right file was named")


def read_topology_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file at ``path`` (links followed), at most ``limit`` of them.

    Raises :class:`Refused` for anything else: a file that cannot be looked at or opened, one
    that is not a regular file (it is never opened), or one larger than ``limit`` (it is never
    read).
    """
    try:
        info = os.stat(path)
        _require_regular(info)
        if info.st_size > limit:
            raise _too_large()
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise Refused("unreadable", f"cannot read file: {exc.strerror or exc}") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise Refused("unreadable", "the file was replaced while it was being read",
                          "run meshgen again")
        _require_regular(opened)
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file that grew past the limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise Refused("unreadable", f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise _too_large()
    return data
