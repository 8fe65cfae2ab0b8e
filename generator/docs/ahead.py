"""Making the deferred blocks of the files pages (and their archives) ahead of need, on every
core.

Highlighting the generated files is most of the work of a large site, and each page's blocks
depend on nothing but that page, so worker processes make them while MkDocs renders the other
pages, a few pages ahead of the one being written (so finished pages do not pile up in memory).
A job is named by its page's source path (or its archive's site path) and is a list of blocks.

Workers are forked, so they already hold the blocks and read the files themselves; only the
finished HTML travels back. Forking is done only where it is safe and worth it: a POSIX system
with more than one core, in a process running a single thread (``mkdocs serve`` runs a server
thread, so it makes its pages in process). The pages are the same either way.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ..output.prefetch import cores_to_fork
from .deferred import Block, made

PAGES_PER_WORKER = 2
"""How many pages each worker may have finished or under way before they are written."""
MAX_WORKERS = 8

# What forked workers read: set before the pool starts, never changed while it runs.
_queued: dict[str, list[Block]] = {}


def _make(src_uri: str) -> list[str]:
    return made(_queued[src_uri])


def workers_to_fork() -> int:
    """How many worker processes to fork now; 0 to make every page in this process."""
    return min(cores_to_fork(), MAX_WORKERS)


class Ahead:
    """The blocks of some pages, made in the order the pages are written."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.blocks: dict[str, list[Block]] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[str, Future[list[str]]] = {}
        self.next = 0
        self.window = 0

    def start(self, pages: Sequence[tuple[str, list[Block]]]) -> None:
        """Queue the pages, in the order MkDocs will write them, and start the workers."""
        self.close()
        self.order = [src_uri for src_uri, _ in pages]
        self.blocks = dict(pages)
        self.next = 0
        workers = workers_to_fork() if len(pages) > 1 else 0
        if workers:
            _queued.clear()
            _queued.update(self.blocks)
            self.pool = ProcessPoolExecutor(workers, multiprocessing.get_context("fork"))
            self.window = workers * PAGES_PER_WORKER
            self._top_up()

    def _top_up(self) -> None:
        if self.pool is None:
            return
        while self.next < len(self.order) and len(self.futures) < self.window:
            src_uri = self.order[self.next]
            self.next += 1
            if src_uri in self.blocks:
                self.futures[src_uri] = self.pool.submit(_make, src_uri)

    def has(self, src_uri: str) -> bool:
        return src_uri in self.blocks

    def take(self, src_uri: str) -> list[str]:
        """The HTML of each block of ``src_uri``'s page (made here if no worker has it)."""
        blocks = self.blocks.pop(src_uri)
        future = self.futures.pop(src_uri, None)
        html = future.result() if future is not None else made(blocks)
        self._top_up()
        return html

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.futures.clear()
        _queued.clear()
