"""The output folders as the commands that read them find them: recovered, then walked.

Every command that reads ``output/`` (check, diff, verify, docs, and build through its
writer) comes through here or through :func:`~generator.output.writer.writing`, so a tree an
interrupted swap left moved aside is back in its place before anything is read, and an entry
meshgen did not write is a located problem (:mod:`.folders`) before anything is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from .folders import foreign_problems, refuse, require_root
from .tree import Walk, walk
from .writer import interrupted, writing


@dataclass(frozen=True)
class Found:
    """The walks of the topology folders asked for, and the entries meshgen did not write."""

    walks: dict[str, Walk]
    problems: tuple[Problem, ...]

    def refuse_foreign(self) -> None:
        refuse(self.problems)


def restore(root: Path) -> None:
    """Put back a tree an interrupted swap left moved aside (a kill between the two renames
    where the system has no atomic exchange), under the writers' lock. Nothing is written
    when nothing was interrupted, so a read-only output folder can still be read."""
    if not require_root(root) or not interrupted(root):
        return
    try:
        with writing(root):
            pass  # writing() recovers under the lock
    except InputError as exc:
        names = ", ".join(interrupted(root))
        raise InputError(f"{exc} (while restoring {names} after an interrupted build)"
                         ) from None


def look(root: Path, names: Iterable[str]) -> Found:
    """Each named folder under ``root``, walked after :func:`restore`."""
    restore(root)
    walks = {name: walk(root / name) for name in names}
    problems = tuple(p for found in walks.values() for p in foreign_problems(found))
    return Found(walks, problems)
