"""Traffic stages in plain words, e.g. "requests with header end-user = jason go to reviews v2
(icp); all others to reviews v3 (iks)"."""

from __future__ import annotations

from ..model import (
    Destination,
    HttpMatch,
    HttpRule,
    MatchKind,
    ServiceRoute,
    Stage,
    StringMatch,
    Topology,
)

_COMPARISONS = {MatchKind.EXACT: "= {}", MatchKind.PREFIX: "starting with {}",
                MatchKind.REGEX: "matching regex {}"}


def _compare(match: StringMatch) -> str:
    return _COMPARISONS[match.kind].format(match.value)


def condition(match: HttpMatch) -> str:
    """``header end-user = jason and path starting with /api``."""
    parts = [f"header {name} {_compare(m)}" for name, m in match.headers]
    if match.uri is not None:
        parts.append(f"path {_compare(match.uri)}")
    return " and ".join(parts) if parts else "any request"


def where_runs(t: Topology, service: str, version: str) -> str:
    """``icp``, ``icp, iks`` or ``not deployed``: the clusters running ``service-version``."""
    app = t.service_owner(service)
    clusters = app.clusters_running(f"{service}-{version}") if app is not None else ()
    return ", ".join(clusters) if clusters else "not deployed"


def _destination(t: Topology, service: str, destination: Destination) -> str:
    share = f"{destination.weight}% to " if destination.weight is not None else ""
    where = where_runs(t, service, destination.version)
    return f"{share}{service} {destination.version} ({where})"


def _destinations(t: Topology, service: str, rule: HttpRule) -> str:
    return ", ".join(_destination(t, service, d) for d in rule.destinations)


def _verb(rule: HttpRule) -> str:
    split = len(rule.destinations) > 1 or any(d.weight is not None for d in rule.destinations)
    return "are split: " if split else "go to "


def describe_route(t: Topology, route: ServiceRoute) -> str:
    """One service's routing in one stage, as a sentence."""
    service = route.service
    sentences = []
    for k, rule in enumerate(route.rules):
        target = _destinations(t, service, rule)
        if rule.match is not None:
            sentences.append(f"requests with {condition(rule.match)} {_verb(rule)}{target}")
        elif k == 0:
            sentences.append(f"all requests to {service} {_verb(rule)}{target}")
        else:
            sentences.append(f"all others to {target}")
    if route.rules and route.rules[-1].match is not None:
        # Istio answers a request that matches no route with 404.
        sentences.append(f"other requests to {service} match no route (HTTP 404)")
    return "; ".join(sentences)


def describe_stage(t: Topology, stage: Stage) -> list[str]:
    return [describe_route(t, route) for route in stage.routes]
