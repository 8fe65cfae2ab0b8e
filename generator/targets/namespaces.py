"""``<cluster>/namespaces.yaml``: istio-system and every app namespace of each cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..artifacts import Artifact, Kind
from ..model import Cluster, Topology
from ..yamlout import dump_all
from .base import Order, Target

ISTIO_NAMESPACE = "istio-system"


def namespace(name: str, labels: dict[str, str] | None = None,
              annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def istio_namespace(t: Topology, cluster: Cluster) -> dict[str, Any]:
    labels = {} if t.istio.legacy else {"topology.istio.io/network": cluster.network}
    annotations = {}
    if not cluster.is_primary and cluster.primary and not t.istio.legacy:
        annotations["topology.istio.io/controlPlaneClusters"] = cluster.primary
    return namespace(ISTIO_NAMESPACE, labels, annotations)


def app_namespaces(t: Topology, cluster: Cluster) -> list[dict[str, Any]]:
    # Primaries hold the Istio config of every app, so they get every app namespace.
    names = sorted({app.namespace for app in t.apps
                    if cluster.is_primary or app.placed_in(cluster.name)})
    return [namespace(n, {"istio-injection": "enabled"}) for n in names]


def artifacts(t: Topology) -> Iterator[Artifact]:
    for cluster in t.clusters:
        docs = [istio_namespace(t, cluster), *app_namespaces(t, cluster)]
        yield Artifact(f"{cluster.name}/namespaces.yaml", dump_all(docs), Kind.MANIFESTS,
                       Order.NAMESPACES)


TARGET = Target("namespaces", artifacts)
