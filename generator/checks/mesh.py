"""The control plane: primaries, remotes, Istio version, networks."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Problem, Severity
from ..model import Cluster, MeshModel, NetworkMode, Role, Topology
from .registry import check, unknown_cluster


@check()
def primaries_fit_model(t: Topology) -> Iterator[Problem]:
    if t.lost(("istio", "model")):
        return  # the default model stands in; counting against it would mislead
    primaries = t.primary_names
    # A cluster whose role cannot be read may be one more primary: only a count it cannot
    # change is reported.
    unsure = t.unread("clusters", "role")
    if t.istio.model is MeshModel.PRIMARY_REMOTE and (
            len(primaries) > 1 or (not primaries and not unsure)):
        found = ", ".join(primaries) or "none"
        yield Problem(
            "primary-count",
            f"model primary-remote needs exactly one primary (found: {found})",
            ("clusters",),
            "set role: primary on one cluster, or use istio.model: multi-primary",
            on_key=True,
        )
    if t.istio.model is MeshModel.MULTI_PRIMARY and len(primaries) < 2 and not unsure:
        yield Problem(
            "primary-count",
            f"model multi-primary needs at least two primaries (found {len(primaries)})",
            ("clusters",),
            "set role: primary on two or more clusters, or use istio.model: primary-remote",
            on_key=True,
        )
    if t.istio.legacy and t.istio.model is MeshModel.MULTI_PRIMARY and not t.lost(
            ("istio", "version")):
        yield Problem(
            "istio-version",
            "Istio 1.0 has no multi-primary install",
            ("istio", "model"),
            "use model: primary-remote with version \"1.0\", or a current version",
        )


@check()
def remotes_name_primaries(t: Topology) -> Iterator[Problem]:
    for c in t.clusters:
        if c.role is Role.PRIMARY and c.primary_given:
            yield Problem("remote-primary", f"primary '{c.name}' cannot have a primary",
                          (*c.at, "primary"), "remove primary:, or set role: remote")
        if c.role is not Role.REMOTE:
            continue
        if c.primary is None:
            if len(t.primary_names) > 1 and not t.unread("clusters", "role"):
                yield Problem(
                    "remote-primary",
                    f"remote '{c.name}' does not say which primary drives it",
                    (*c.at, "role"),
                    "add primary: <name>; the mesh has several primaries",
                )
            continue
        if t.no_cluster_named(c.primary):
            yield unknown_cluster(t, c.primary, (*c.at, "primary"))
        elif t.role_of(c.primary) is Role.REMOTE:
            yield Problem("remote-primary", f"'{c.primary}' is not a primary", (*c.at, "primary"),
                          "a remote must name a cluster with role: primary")


@check()
def istio_version_supported(t: Topology) -> Iterator[Problem]:
    if t.lost(("istio", "version")):
        return  # the default version stands in, and it is supported
    if not t.istio.legacy and t.istio.minor < 20:
        yield Problem(
            "istio-version",
            f"Istio {t.istio.version} is not supported",
            ("istio", "version"),
            'use "1.0" for the Istio 1.0 install or 1.20 and later for the east-west gateway '
            "install",
        )
    if t.istio.legacy and t.istio.mtls_given:
        yield Problem(
            "istio-version",
            "istio.mtls has no effect with Istio 1.0: istio-demo.yaml leaves mutual TLS off, "
            "as the Istio 1.0 install did",
            ("istio", "mtls"),
            "remove mtls:, or use a current version to get a mesh-wide PeerAuthentication",
            Severity.WARNING,
        )
    if t.istio.legacy and t.istio.network is NetworkMode.PER_CLUSTER and not t.lost(
            ("istio", "network")):
        yield Problem(
            "istio-version",
            "Istio 1.0 has no multi-network support",
            ("istio", "network"),
            "use network: flat with version \"1.0\"",
        )


@check()
def networks_fit_mode(t: Topology) -> Iterator[Problem]:
    if t.lost(("istio", "network")):
        return  # the mode is not known
    # A network name that failed the schema has a default standing in: not compared.
    clusters = [c for c in t.clusters if not t.lost((*c.at, "network"))]
    if t.istio.network is NetworkMode.FLAT:
        names = {c.network for c in clusters}
        if len(names) > 1:
            first = clusters[0]
            for c in clusters[1:]:
                if c.network != first.network:
                    yield Problem(
                        "network-mismatch",
                        f"cluster '{c.name}' is on network '{c.network}' but the mesh is flat "
                        f"('{first.name}' is on '{first.network}')",
                        (*c.at, "network"),
                        "on a flat network every cluster shares one network name; use "
                        "istio.network: per-cluster for separate networks",
                    )
    else:
        owner: dict[str, Cluster] = {}
        for c in clusters:
            if c.network in owner:
                yield Problem(
                    "network-mismatch",
                    f"clusters '{owner[c.network].name}' and '{c.name}' share network "
                    f"'{c.network}' on per-cluster networks",
                    (*c.at, "network"),
                    "give each cluster its own network name: the same label on two networks "
                    "sends traffic to endpoints that cannot be reached",
                )
            owner.setdefault(c.network, c)


