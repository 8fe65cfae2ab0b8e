"""The registry of semantic checks and the runner."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import FieldPath, Problem
from ..model import Topology

CheckFn = Callable[[Topology], Iterator[Problem]]


@dataclass(frozen=True)
class Check:
    run: CheckFn
    needs: frozenset[str]


CHECKS: list[Check] = []


def check(*needs: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check; ``needs`` names sections it can only judge when complete."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(fn, frozenset(needs)))
        return fn

    return register


def run_checks(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    for item in CHECKS:
        if item.needs & topology.incomplete:
            continue
        problems.extend(item.run(topology))
    return problems


def unknown_cluster(t: Topology, name: str, at: FieldPath, on_key: bool = False) -> Problem:
    known = [c.name for c in t.clusters]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"clusters: {', '.join(known)}"
    return Problem("unknown-reference", f"no cluster named '{name}'", at, hint, on_key=on_key)


