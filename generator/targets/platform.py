"""The Kubernetes versions an Istio release installs on, for the runbook's preflight.

Istio 1.20 and later: istioctl declares the oldest Kubernetes it supports
(``MinK8SVersion`` in ``istioctl/pkg/install/k8sversion/version.go``) and only warns below it;
the runbook refuses instead. The table holds the value of every release that changed it,
read from that file at each tag. Istio 1.0's charts need Kubernetes 1.9 (its README) and use
``extensions/v1beta1`` Deployments, which Kubernetes 1.16 stopped serving, and
``apiextensions.k8s.io/v1beta1`` and ``admissionregistration.k8s.io/v1beta1``, gone in 1.22.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Istio

# (first release with this floor, the oldest Kubernetes minor version it supports).
MIN_KUBERNETES = (
    ((1, 20, 0), 25),
    ((1, 21, 0), 26),
    ((1, 24, 0), 28),
    ((1, 25, 1), 29),
    ((1, 28, 2), 30),
    ((1, 30, 0), 32),
)
ISTIO_1_0_KUBERNETES = (9, 15)


@dataclass(frozen=True, slots=True)
class KubernetesRange:
    """The Kubernetes minor versions (1.low to 1.high) an install needs, and why."""

    low: int
    high: int | None
    why: str


def _release(version: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (3 - len(parts))


def kubernetes_range(istio: Istio) -> KubernetesRange:
    if istio.legacy:
        low, high = ISTIO_1_0_KUBERNETES
        return KubernetesRange(
            low, high,
            f"the Istio 1.0 install needs Kubernetes 1.{low} to 1.{high}: its charts use "
            "extensions/v1beta1 Deployments, apiextensions.k8s.io/v1beta1 and "
            "admissionregistration.k8s.io/v1beta1, which Kubernetes 1.16 and later stopped "
            "serving (reproduce the article on a cluster of its era)")
    release = _release(istio.version)
    floors = [floor for since, floor in MIN_KUBERNETES if since <= release]
    low = floors[-1] if floors else MIN_KUBERNETES[0][1]
    return KubernetesRange(low, None, f"Istio {istio.version} needs Kubernetes 1.{low} or later "
                                      "(istioctl's MinK8SVersion)")
