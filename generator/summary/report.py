"""One summary of a change: per topology, what its model does differently and which files of
each cluster's folder are added, changed or removed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..enums import StrEnum
from ..model import Topology
from .changes import Change, compare
from .files import FolderChanges, compare_files, unified


class Status(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    """One side does not validate, so the models cannot be compared."""


@dataclass(frozen=True)
class Side:
    """One topology as it was or as it is: where it was read from, its model when it
    validates, how many errors it has, and the files it builds (None when it cannot)."""

    display: str
    topology: Topology | None
    errors: int = 0
    files: Mapping[str, bytes] | None = None
    known: bool = True
    """False when there is no model of this side to compare (only files, say)."""

    @property
    def valid(self) -> bool:
        return self.topology is not None and not self.errors

    @property
    def name(self) -> str:
        return self.topology.name if self.topology is not None and self.topology.name else ""


@dataclass
class TopologySummary:
    name: str
    display: str
    status: Status
    changes: list[Change] = field(default_factory=list)
    files: dict[str, FolderChanges] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What could not be compared, and why."""
    diffs: dict[str, str] = field(default_factory=dict)
    """Path -> unified diff of each file added, changed or removed, when asked for."""

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "file": self.display, "status": self.status.value,
                "changes": [c.as_dict() for c in self.changes],
                "files": {folder or "(topology)": f.as_dict() for folder, f in self.files.items()},
                "notes": self.notes}


@dataclass
class Summary:
    base: str
    """What the change is compared with, in words (``main at 1a2b3c4``, ``output/``)."""
    topologies: list[TopologySummary]

    def as_dict(self) -> dict[str, object]:
        return {"base": self.base, "topologies": [t.as_dict() for t in self.topologies]}

    @property
    def changed(self) -> list[TopologySummary]:
        return [t for t in self.topologies if t.status is not Status.UNCHANGED]


def summarise(old: Side | None, new: Side | None, diffs: bool = False) -> TopologySummary:
    """What changed from ``old`` to ``new`` (either may be missing: added or removed), with
    the unified diff of each file when ``diffs`` is asked for."""
    found = _summarise(old, new)
    if diffs:
        before = old.files if old is not None and old.files is not None else {}
        after = new.files if new is not None and new.files is not None else {}
        found.diffs = {path: unified(path, before.get(path), after.get(path))
                       for changes in found.files.values()
                       for path in (*changes.added, *changes.changed, *changes.removed)}
    return found


def _summarise(old: Side | None, new: Side | None) -> TopologySummary:
    either = new if new is not None else old
    assert either is not None
    name = (new.name if new is not None and new.name else old.name if old is not None
            else "") or either.display
    files = compare_files(old.files if old is not None and old.files is not None else {},
                          new.files if new is not None and new.files is not None else {})
    if old is None:
        return TopologySummary(name, either.display, Status.ADDED, files=files,
                               notes=_invalid_notes(None, new))
    if new is None:
        return TopologySummary(name, either.display, Status.REMOVED, files=files)
    if not old.known:
        status = Status.CHANGED if files else Status.UNCHANGED
        return TopologySummary(name, new.display, status, files=files, notes=[
            f"{old.display}: not found, so the model is not compared; only the files are"])
    notes = _invalid_notes(old, new)
    if notes:
        if old.files is None or new.files is None:
            files = {}
        return TopologySummary(name, new.display, Status.INVALID, files=files, notes=notes)
    assert old.topology is not None and new.topology is not None
    changes = compare(old.topology, new.topology)
    status = Status.CHANGED if changes or files else Status.UNCHANGED
    return TopologySummary(name, new.display, status, changes, files)


def _invalid_notes(old: Side | None, new: Side | None) -> list[str]:
    notes = []
    for side, when in ((old, "before"), (new, "now")):
        if side is not None and not side.valid:
            notes.append(f"{side.display} does not validate {when} ({side.errors} "
                         f"error{'s' if side.errors != 1 else ''}): run meshgen validate")
    return notes
