"""``<cluster>/kustomization.yaml``: the cluster's plain manifests in a working order.

``kubectl apply -k output/<topology>/<cluster>`` then creates namespaces before what lives in
them. Helm values, strongSwan configs, scripts and staged Istio traffic files are not listed:
they are applied by the runbook's own steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..artifacts import Artifact, Kind
from ..model import Topology
from ..yamlout import dump


def kustomizations(t: Topology, artifacts: Sequence[Artifact]) -> Iterator[Artifact]:
    by_cluster: dict[str | None, list[tuple[int, str]]] = {}
    for a in artifacts:
        if a.kustomize is not None:
            by_cluster.setdefault(a.cluster, []).append((a.kustomize, a.path))
    for cluster in t.clusters:
        prefix = f"{cluster.name}/"
        listed = sorted((order, path[len(prefix):])
                        for order, path in by_cluster.get(cluster.name, []))
        document = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [path for _, path in listed],
        }
        yield Artifact(f"{prefix}kustomization.yaml", dump(document), Kind.KUSTOMIZATION)
