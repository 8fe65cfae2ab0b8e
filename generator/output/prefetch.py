"""The committed files of the output folders, read in a second process while this one renders.

``check`` and ``diff`` read every file they render, as many bytes again. That reading needs
nothing from the rendering, so a forked process finds the folders (:func:`.reading.look`:
recovered, walked) and takes the SHA-256 of each file while this one renders; the comparison
then reads again only the files whose digest is not the rendered one's, for their diff.
Forked only where it is safe and worth it (:func:`cores_to_fork`) and a core is to spare
(:func:`spare_core`: on a busy machine a second process takes its time from this one);
elsewhere the folders are found when the comparison needs them and every file is compared
byte by byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .reading import Found, look
from .tree import read_regular


def cores_to_fork() -> int:
    """How many cores worker processes forked now could use; 0 when forking is not safe or
    not worth it: no ``fork`` (Windows, say), one core, or a process already running another
    thread (a fork copies a lock another thread may hold, as ``mkdocs serve``'s server)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if threading.active_count() > 1:
        return 0
    cores = usable_cores()
    return cores if cores > 1 else 0


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def spare_core() -> bool:
    """True when the last minute's load average leaves at least half a core idle, counting
    this process: the reading then runs beside the rendering instead of taking turns with it
    (and with whatever else the machine runs)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return False
    return load < cores_to_fork() - 0.5


@dataclass(frozen=True)
class Committed:
    """The topology folders as found, with the digest of each of their files where another
    process read them."""

    found: Found
    digests: dict[str, dict[str, bytes | None]] | None = None
    """Folder -> path -> SHA-256 of each file the walk found, None for one that could
    not be read; None altogether when the folders were found in this process."""

    def digests_of(self, name: str) -> dict[str, bytes | None] | None:
        return None if self.digests is None else self.digests[name]


def _digest(location: str) -> bytes | None:
    try:
        return hashlib.sha256(read_regular(location)).digest()
    except OSError:
        return None


def read_with_digests(root: Path, names: Sequence[str]) -> Committed:
    """The folders ``names`` under ``root``, and the digest of every file found there."""
    found = look(root, names)
    return Committed(found, {
        name: {entry.path: _digest(walked.location(entry)) for entry in walked.files}
        for name, walked in found.walks.items()})


@contextlib.contextmanager
def read_ahead(root: Path, names: Sequence[str]) -> Iterator[Callable[[], Committed]]:
    """Start reading the folders ``names`` under ``root`` in a second process; the function
    given waits for what it found (or finds the folders in this process, where no second
    process could be started or it was lost)."""
    pool: ProcessPoolExecutor | None = None
    future: Future[Committed] | None = None
    if cores_to_fork() and spare_core():
        # A forked child flushes its copy of these buffers when it ends: empty them first.
        sys.stdout.flush()
        sys.stderr.flush()
        pool = ProcessPoolExecutor(1, multiprocessing.get_context("fork"))
        future = pool.submit(read_with_digests, root, tuple(names))

    def committed() -> Committed:
        if future is not None:
            with contextlib.suppress(BrokenProcessPool):
                return future.result()
        return Committed(look(root, names))

    try:
        yield committed
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
