"""What each cluster's GitOps units hold, in the runbook's order, for both controllers.

A unit is one thing a controller reconciles and waits for before the next: the cluster's
namespaces, its strongSwan releases, its Istio charts, the Istio config that needs their CRDs,
its apps, and (on config clusters) the traffic config with the active stage only. Each names the
generated files it delivers, as paths relative to ``output/<name>/``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ...artifacts import Artifact
from ...model import Cluster, Topology
from ..base import Order, Phase
from ..istio import paths as istio_paths
from ..istio.objects import EASTWEST_NAME, INGRESS_NAME
from ..traffic import DESTINATION_RULES, config_clusters, stage_file_name
from ..vpn.ends import LinkEnd, link_ends

NAME_LIMIT = 63
"""Controllers put object names in label values, which hold at most 63 characters."""

ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"


def short_name(*parts: str) -> str:
    """``parts`` joined by ``-``; a name over 63 characters is cut and ends in a hash of it."""
    name = "-".join(parts)
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[:NAME_LIMIT - len(digest) - 1].rstrip('-.')}-{digest}"


@dataclass(frozen=True)
class Release:
    """One Istio chart release in ``istio-system``, from one of the cluster's values files."""

    name: str
    chart: str
    """The chart's name in Istio's Helm repository: base, istiod or gateway."""
    values: str
    phase: Phase
    """Where the runbook installs it; Argo CD's sync wave (plus ``offset``)."""
    offset: int = 0
    after: str | None = None
    """The release that must be ready first."""


@dataclass(frozen=True)
class ClusterUnits:
    """Everything one cluster's controller delivers, unit by unit."""

    cluster: Cluster
    namespaces: tuple[str, ...]
    links: tuple[LinkEnd, ...]
    releases: tuple[Release, ...]
    mesh: tuple[str, ...]
    apps: tuple[str, ...]
    traffic: tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.cluster.name


def _istio_releases(t: Topology, cluster: Cluster, files: set[str]) -> tuple[Release, ...]:
    def values(name: str) -> str:
        return istio_paths.path(cluster, name)

    if values(istio_paths.ISTIOD_VALUES) not in files:
        return ()
    own = Phase.ISTIO_PRIMARY if cluster.is_primary else Phase.ISTIO_REMOTE
    releases = [
        Release("istio-base", "base", values(istio_paths.BASE_VALUES), own),
        Release("istiod", "istiod", values(istio_paths.ISTIOD_VALUES), own, 1, "istio-base"),
    ]
    if values(istio_paths.INGRESS_VALUES) in files:
        releases.append(Release(INGRESS_NAME, "gateway", values(istio_paths.INGRESS_VALUES),
                                own, 2, "istiod"))
    if t.has_eastwest_gateway(cluster):
        # As in the runbook: a remote's own gateway waits for the remote secrets.
        phase = Phase.ISTIO_GATEWAY if cluster.is_primary else Phase.ISTIO_REMOTE_GATEWAY
        releases.append(Release(EASTWEST_NAME, "gateway", values(istio_paths.EASTWEST_VALUES),
                                phase, 0, "istiod"))
    return tuple(releases)


def _traffic(t: Topology, cluster: Cluster, files: set[str]) -> tuple[str, ...]:
    if cluster not in config_clusters(t):
        return ()
    folder = f"{cluster.name}/traffic/"
    found = [f"{folder}{DESTINATION_RULES}"]
    found += sorted(f for f in files if f.startswith(f"{folder}ingress-"))
    active = t.active_stage
    if active is not None:
        found.append(folder + stage_file_name(t, *active))
    return tuple(f for f in found if f in files)


def cluster_units(t: Topology, written: Sequence[Artifact]) -> list[ClusterUnits]:
    files = {a.path for a in written}
    by_position: dict[tuple[str | None, int], list[str]] = {}
    for a in written:
        if a.kustomize is not None:
            by_position.setdefault((a.cluster, a.kustomize), []).append(a.path)
    ends = list(link_ends(t))
    out = []
    for cluster in t.clusters:
        def listed(order: Order, name: str = cluster.name) -> tuple[str, ...]:
            return tuple(sorted(by_position.get((name, order), [])))

        out.append(ClusterUnits(
            cluster=cluster,
            namespaces=listed(Order.NAMESPACES),
            links=tuple(end for end in ends if end.local.name == cluster.name),
            releases=_istio_releases(t, cluster, files),
            mesh=listed(Order.MESH),
            apps=listed(Order.APPS),
            traffic=_traffic(t, cluster, files),
        ))
    return out
