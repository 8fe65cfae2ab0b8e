"""The registry of semantic checks and the runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import FieldPath, Problem
from ..inputs.suggest import closest
from ..model import Topology

CheckFn = Callable[[Topology], Iterator[Problem]]


@dataclass(frozen=True)
class Check:
    run: CheckFn
    needs: frozenset[str]


CHECKS: list[Check] = []


def check(*needs: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check. ``needs`` names what it can only judge when nothing of it is
    missing: ``section.field`` (say ``clusters.role``) for that field of every entry, which
    entries left out by the builder may still give; a bare section for every entry built.
    Everything else a check judges entry by entry, on the entries that were built."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(fn, frozenset(needs)))
        return fn

    return register


def _missing(topology: Topology, need: str) -> bool:
    section, _, field_name = need.partition(".")
    if field_name:
        return topology.unread(section, field_name)
    return section in topology.incomplete


def run_checks(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    for item in CHECKS:
        if any(_missing(topology, need) for need in item.needs):
            continue
        problems.extend(item.run(topology))
    return problems


def unknown_cluster(t: Topology, name: str, at: FieldPath, on_key: bool = False) -> Problem:
    known = [c.name for c in t.clusters]
    meant = closest(name, known)
    hint = f"did you mean '{meant}'?" if meant else f"clusters: {', '.join(known)}"
    return Problem("unknown-reference", f"no cluster named '{name}'", at, hint, on_key=on_key)


