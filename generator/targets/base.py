"""What every target produces: files (artifacts) and runbook steps."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import SecretRef, Topology


@dataclass(frozen=True, slots=True)
class Artifact:
    """One generated file.

    ``path`` is relative to ``output/<topology>/`` with ``/`` separators. ``kind`` says what
    the file holds, so ``meshgen verify`` knows which schema applies; it is recorded in
    MANIFEST.json (see :class:`Kind`). ``kustomize`` is the position of a plain Kubernetes
    manifest in its cluster's ``kustomization.yaml`` (lower first); files that kubectl must not
    apply directly (Helm values, strongSwan configs, Istio config applied in stages, scripts)
    leave it ``None``.
    """

    path: str
    text: str
    kind: str
    kustomize: int | None = None
    executable: bool = False

    @property
    def cluster(self) -> str | None:
        head, sep, _ = self.path.partition("/")
        return head if sep else None


class Kind:
    """Values of :attr:`Artifact.kind`."""

    MANIFESTS = "manifests"
    """YAML documents that are Kubernetes or Istio objects (apiVersion, kind, metadata)."""
    KUSTOMIZATION = "kustomization"
    HELM_VALUES = "helm-values:"
    """Prefix: ``helm-values:<repo>/<chart>``, e.g. ``helm-values:istio/gateway``."""
    ISTIO_OPERATOR = "istio-operator"
    """An IstioOperator read by ``istioctl install -f`` (no CRD in the cluster)."""
    STRONGSWAN = "strongswan-config"
    SCRIPT = "script"
    TEXT = "text"

    @staticmethod
    def helm_values(chart: str) -> str:
        return Kind.HELM_VALUES + chart


ISTIO_BASE_VALUES = Kind.helm_values("istio/base")
ISTIOD_VALUES = Kind.helm_values("istio/istiod")
ISTIO_GATEWAY_VALUES = Kind.helm_values("istio/gateway")


class Phase(enum.IntEnum):
    """Order of the runbook; steps of one phase keep the order their target gives."""

    VPN = 10
    VPN_CHECK = 20
    ROOT_CA = 30
    ISTIO_PRIMARY = 40
    ISTIO_GATEWAY = 50
    ISTIO_EXPOSE = 60
    ISTIO_REMOTE = 70
    ISTIO_SECRETS = 80
    APPS = 90
    DESTINATION_RULES = 100
    TRAFFIC_FIRST = 110
    TRAFFIC_LATER = 120


@dataclass(frozen=True, slots=True)
class Step:
    """One runbook step: shell commands (already quoted) run against one cluster's context."""

    phase: Phase
    title: str
    commands: tuple[str, ...]
    cluster: str | None = None
    notes: tuple[str, ...] = ()
    optional: bool = False
    """A later stage the operator runs when ready, not part of the default run."""
    stage: int | None = None
    """The traffic stage (1 = the first) the step applies; the runbook selects steps by it."""
    secrets: tuple[SecretRef, ...] = ()
    """Secrets the commands read; the runbook checks they are set before the step runs."""


@dataclass(frozen=True)
class Target:
    """A pure function from the model to files, plus the runbook steps that apply them."""

    name: str
    artifacts: Callable[[Topology], Iterable[Artifact]]
    steps: Callable[[Topology], Iterable[Step]] = lambda _t: ()


class Order(enum.IntEnum):
    """Positions in a cluster's kustomization.yaml: namespaces before what lives in them."""

    NAMESPACES = 0
    MESH = 10
    APPS = 20
