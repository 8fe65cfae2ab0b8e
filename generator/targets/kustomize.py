"""``<cluster>/kustomization.yaml``: the cluster's plain manifests in a working order.

``kubectl apply -k output/<topology>/<cluster>`` then creates namespaces before what lives in
them. Helm values, strongSwan configs, scripts and staged Istio traffic files are not listed:
they are applied by the runbook's own steps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..model import Topology
from ..yamlout import dump
from .base import Artifact, Kind


def kustomizations(t: Topology, artifacts: Sequence[Artifact]) -> Iterator[Artifact]:
    for cluster in t.clusters:
        prefix = f"{cluster.name}/"
        listed = sorted(
            (a.kustomize, a.path[len(prefix):])
            for a in artifacts
            if a.kustomize is not None and a.path.startswith(prefix)
        )
        document = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [path for _, path in listed],
        }
        yield Artifact(f"{prefix}kustomization.yaml", dump(document), Kind.KUSTOMIZATION)
