"""``<primary>/traffic/``: DestinationRules, then one file of VirtualServices per traffic stage.

Istio reads its config from the clusters that run istiod, so these files go to every primary.
They are not in the kustomization: the runbook applies the DestinationRules, then the first
stage, and each later stage only when the operator asks for it (``kubectl replace``, as in
Istio's request-routing guide, so a stage's routes replace the previous ones whole).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..artifacts import Artifact, Kind
from ..model import App, Cluster, HttpMatch, HttpRule, ServiceRoute, Stage, Topology
from ..yamlout import dump_all
from .base import Phase, Step, Target
from .istio.apis import networking_api
from .shell import kubectl

DESTINATION_RULES = "destination-rules.yaml"


def stage_file_name(t: Topology, number: int, stage: Stage) -> str:
    """``01-all-v1.yaml``: numbered so a listing shows the stages in order."""
    width = max(2, len(str(len(t.traffic))))
    return f"{number:0{width}d}-{stage.name}.yaml"


def config_clusters(t: Topology) -> tuple[Cluster, ...]:
    return t.primaries


# --- objects -------------------------------------------------------------------------------


def destination_rule(api: str, app: App, service: str, versions: tuple[str, ...]
                     ) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": "DestinationRule",
        "metadata": {"name": service, "namespace": app.namespace},
        "spec": {
            "host": service,
            "subsets": [{"name": v, "labels": {"version": v}} for v in versions],
        },
    }


def destination_rules(t: Topology) -> list[dict[str, Any]]:
    """One per service with a deployed version; one subset per deployed version."""
    rules = []
    for app in t.apps:
        for service in app.services:
            versions = app.deployed_versions(service.name)
            if versions:
                rules.append(destination_rule(networking_api(t.istio), app, service.name,
                                              versions))
    return rules


def _match(match: HttpMatch) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if match.uri is not None:
        out["uri"] = {match.uri.kind.value: match.uri.value}
    if match.headers:
        out["headers"] = {name: {m.kind.value: m.value} for name, m in match.headers}
    return out


def _http_route(service: str, rule: HttpRule) -> dict[str, Any]:
    route: dict[str, Any] = {}
    if rule.match is not None:
        route["match"] = [_match(rule.match)]
    destinations = []
    for dest in rule.destinations:
        entry: dict[str, Any] = {"destination": {"host": service, "subset": dest.version}}
        if dest.weight is not None:
            entry["weight"] = dest.weight
        destinations.append(entry)
    route["route"] = destinations
    return route


def virtual_service(api: str, namespace: str, route: ServiceRoute) -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": "VirtualService",
        "metadata": {"name": route.service, "namespace": namespace},
        "spec": {
            "hosts": [route.service],
            "http": [_http_route(route.service, rule) for rule in route.rules],
        },
    }


def stage_documents(t: Topology, stage: Stage) -> list[dict[str, Any]]:
    documents = []
    for route in stage.routes:
        app = t.service_owner(route.service)
        if app is not None:
            documents.append(virtual_service(networking_api(t.istio), app.namespace, route))
    return documents


# --- the target ----------------------------------------------------------------------------


def artifacts(t: Topology) -> Iterator[Artifact]:
    # The same files in every config cluster: each is rendered once.
    rules = destination_rules(t)
    files = [(DESTINATION_RULES, dump_all(rules))] if rules else []
    for number, stage in enumerate(t.traffic, start=1):
        documents = stage_documents(t, stage)
        if documents:
            files.append((stage_file_name(t, number, stage), dump_all(documents)))
    for cluster in config_clusters(t):
        for name, text in files:
            yield Artifact(f"{cluster.name}/traffic/{name}", text, Kind.MANIFESTS)


def _stage_title(t: Topology, number: int, stage: Stage) -> str:
    return f"Traffic stage {number} of {len(t.traffic)}: {stage.name}"


def steps(t: Topology) -> Iterator[Step]:
    clusters = config_clusters(t)
    if destination_rules(t):
        for cluster in clusters:
            yield Step(
                Phase.DESTINATION_RULES,
                "DestinationRules: one subset per deployed version",
                (kubectl(cluster, "apply", "-f", f"{cluster.name}/traffic/{DESTINATION_RULES}"),),
                cluster.name,
                ("Subsets must exist before a VirtualService names them.",),
            )
    first_services = {r.service for r in t.traffic[0].routes} if t.traffic else set()
    for number, stage in enumerate(t.traffic, start=1):
        if not stage_documents(t, stage):
            continue
        path = stage_file_name(t, number, stage)
        new = sorted({r.service for r in stage.routes} - first_services)
        verb = "apply" if number == 1 or new else "replace"
        notes = [stage.description] if stage.description else []
        if number > 1 and new:
            notes.append(f"kubectl apply rather than replace: the first stage does not route "
                         f"{', '.join(new)}, so there may be nothing to replace.")
        for cluster in clusters:
            yield Step(
                Phase.TRAFFIC_FIRST if number == 1 else Phase.TRAFFIC_LATER,
                _stage_title(t, number, stage),
                (kubectl(cluster, verb, "-f", f"{cluster.name}/traffic/{path}"),),
                cluster.name,
                tuple(notes),
                optional=number > 1,
                stage=number,
            )


TARGET = Target("traffic", artifacts, steps)
