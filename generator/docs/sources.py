"""Everything the site says about the project's topologies, read once per build."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..api import CheckedTopology, check_file
from ..inputs.project import DNS_LABEL, topologies_in
from ..model import Topology
from ..targets import runbook, runbook_steps
from ..targets.runbook import NumberedStep
from .committed import OutputState, output_state


@dataclass(frozen=True)
class TopologyDoc:
    source: Path
    display: str
    """The file as shown on pages: ``topologies/<file>``."""
    slug: str
    """The page's name under ``topologies/``: the file name without suffix, made URL-safe."""
    checked: CheckedTopology
    output: OutputState

    @property
    def topology(self) -> Topology | None:
        return self.checked.topology

    @property
    def name(self) -> str:
        """The topology's name; the page's slug when the file has no valid one."""
        t = self.checked.topology
        valid = t is not None and re.fullmatch(DNS_LABEL, t.name) is not None
        return t.name if t is not None and valid else self.slug

    @property
    def render_failures(self) -> tuple[str, ...]:
        return (self.output.failure,) if self.output.failure else ()

    @cached_property
    def steps(self) -> tuple[NumberedStep, ...]:
        """The runbook, numbered in the order ``apply.sh`` runs it; empty when invalid."""
        t = self.checked.topology
        if t is None or not self.checked.valid:
            return ()
        return tuple(runbook.ordered(runbook_steps(t), runbook.requirements(t)))

    @cached_property
    def steps_by_cluster(self) -> dict[str, tuple[NumberedStep, ...]]:
        table: dict[str, list[NumberedStep]] = {}
        for item in self.steps:
            table.setdefault(item.step.cluster or "", []).append(item)
        return {cluster: tuple(items) for cluster, items in table.items()}

    @property
    def summary(self) -> str:
        t = self.checked.topology
        text = " ".join(t.description.split()) if t is not None else ""
        return text or "(no description)"


def slug_of(path: Path) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-.") or "topology"


def topology_files(directory: Path) -> list[Path]:
    return topologies_in(directory) if directory.is_dir() else []


def collect(topologies: Path, output: Path, project: Path) -> list[TopologyDoc]:
    """A :class:`TopologyDoc` for every topology file, in file name order."""
    docs: list[TopologyDoc] = []
    used = {"index"}  # topologies/index.md lists them all
    for path in topology_files(topologies):
        display = _relative(path, project)
        checked = check_file(path, display)
        valid = checked.topology if checked.valid else None
        name = checked.topology.name if checked.topology and checked.topology.name else ""
        state = output_state(output, name or slug_of(path), valid, path)
        slug = base = slug_of(path)
        number = 1
        while slug in used:  # files whose names differ only in case or punctuation
            number += 1
            slug = f"{base}-{number}"
        used.add(slug)
        docs.append(TopologyDoc(path, display, slug, checked, state))
    return docs


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
