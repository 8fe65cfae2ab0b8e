"""Names: unique within their kind."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import FieldPath, Problem, dotted
from ..model import App, Topology
from .registry import check


def _duplicates(items: Iterable[tuple[str, FieldPath]], what: str) -> Iterator[Problem]:
    first: dict[str, FieldPath] = {}
    for name, at in items:
        if name in first:
            yield Problem(
                "duplicate-name",
                f"{what} '{name}' is defined twice (first at {dotted(first[name])})",
                (*at, "name"),
                f"give each {what} its own name",
            )
        else:
            first.setdefault(name, at)


@check()
def unique_names(t: Topology) -> Iterator[Problem]:
    yield from _duplicates(((c.name, c.at) for c in t.clusters), "cluster")
    yield from _duplicates(((a.name, a.at) for a in t.apps), "app")
    yield from _duplicates(((s.name, s.at) for s in t.traffic), "traffic stage")
    for app in t.apps:
        if app.catalog:
            continue
        yield from _duplicates(((s.name, s.at) for s in app.services), "service")
        for svc in app.services:
            yield from _duplicates(((v.name, v.at) for v in svc.versions), "version")
    owners: dict[str, App] = {}
    app_names: set[str] = set()
    for app in t.apps:
        if app.name in app_names:
            continue  # already reported as a duplicate app; its services would repeat that
        app_names.add(app.name)
        for svc in app.services:
            if svc.name in owners and owners[svc.name] is not app:
                yield Problem(
                    "duplicate-name",
                    f"service '{svc.name}' is defined by apps '{owners[svc.name].name}' "
                    f"and '{app.name}'",
                    (*app.at, "name"),
                    "traffic stages name services alone, so service names must be unique "
                    "across the apps of a topology",
                )
            owners.setdefault(svc.name, app)


