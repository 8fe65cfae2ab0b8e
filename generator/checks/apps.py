"""Apps: placements, definitions, callees."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Problem
from ..inputs.suggest import closest
from ..model import Role, Topology
from .registry import check, unknown_cluster


@check()
def placements_resolve(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        known = app.workloads
        for placement in app.placement:
            if t.no_cluster_named(placement.cluster):
                yield unknown_cluster(t, placement.cluster, placement.at, on_key=True)
            for k, name in enumerate(placement.workloads):
                if name not in known:
                    meant = closest(name, list(known))
                    yield Problem(
                        "unknown-reference",
                        f"app '{app.name}' has no workload '{name}'",
                        (*placement.at, k),
                        f"did you mean '{meant}'?" if meant else
                        f"workloads are <service>-<version>: {', '.join(known)}",
                    )
        if app.ingress and t.no_cluster_named(app.ingress):
            yield unknown_cluster(t, app.ingress, (*app.at, "ingress"))
        elif app.ingress and t.role_of(app.ingress) is Role.REMOTE:
            yield Problem(
                "ingress-cluster",
                f"ingress '{app.ingress}' is a remote; its Gateway would not be read there",
                (*app.at, "ingress"),
                "put the ingress on a primary: Istio config is applied to primaries only",
            )
        if app.ingress and app.entry is None and not t.lost((*app.at, "entry")):
            yield Problem("ingress-entry", f"app '{app.name}' has an ingress but no entry",
                          (*app.at, "ingress"),
                          "add entry: {service: ..., uris: [...]} naming what the gateway serves")


@check()
def app_definitions_resolve(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        names = {s.name for s in app.services}
        for svc in app.services:
            for version in svc.versions:
                for callee in version.calls:
                    if callee not in names:
                        yield Problem("unknown-reference",
                                      f"{svc.name}-{version.name} calls '{callee}', which app "
                                      f"'{app.name}' does not define",
                                      version.at or svc.at)
        if app.entry is not None:
            entry_service = app.service(app.entry.service)
            if entry_service is None:
                yield Problem("unknown-reference",
                              f"entry service '{app.entry.service}' is not a service of the app",
                              (*app.entry.at, "service") if app.entry.at[-1] == "entry" else
                              app.entry.at)
            elif app.entry.port and app.entry.port not in {
                    p.port for p in entry_service.ports}:
                yield Problem("unknown-reference",
                              f"service '{entry_service.name}' has no port {app.entry.port}",
                              (*app.entry.at, "port"))


@check()
def callees_deployed(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        placed = {w.service.name for p in app.placement for w in app.placed_in(p.cluster)}
        services = {s.name for s in app.services}
        for placement in app.placement:
            for workload in app.placed_in(placement.cluster):
                for callee in workload.version.calls:
                    if callee in services and callee not in placed:
                        yield Problem(
                            "callee-not-placed",
                            f"{workload.name} calls '{callee}', but no version of it is placed "
                            "in any cluster",
                            (*placement.at, placement.workloads.index(workload.name)),
                            f"place a version of {callee} in some cluster",
                        )
        if (app.ingress and app.entry and app.entry.service not in placed
                and app.service(app.entry.service)):
            yield Problem("callee-not-placed",
                          f"entry service '{app.entry.service}' is not placed in any cluster",
                          (*app.at, "placement"))


