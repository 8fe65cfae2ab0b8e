"""The control plane: primaries, remotes, Istio version, networks."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Problem, Severity
from ..model import Cluster, ControlPlanePath, MeshModel, NetworkMode, Role, Topology
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


def _path_as_written(t: Topology) -> bool:
    """True when the control plane's path is the topology's, not a default standing in for a
    value that failed the schema."""
    return not (t.lost(("istio", "controlPlanePath")) or t.lost(("istio", "version"))
                or (t.istio.path_given is None and t.lost(("istio", "network"))))


def remotes_cut_off(t: Topology) -> Iterator[tuple[Cluster, str]]:
    """Each remote that reaches istiod through the VPN but has no link to its primary, with
    that primary's name: nothing would carry its control plane traffic. Links left out by the
    builder still join the clusters they name."""
    if t.istio.path is not ControlPlanePath.VPN or not _path_as_written(t):
        return
    linked = {frozenset(link.between) for link in t.vpn}
    linked |= {frozenset(e.between) for e in t.left_out_of("vpn") if e.between}
    for c in t.remotes:
        if c.primary and t.role_of(c.primary) is Role.PRIMARY and \
                frozenset((c.name, c.primary)) not in linked:
            yield c, c.primary


@check("vpn.between")
def control_plane_reachable(t: Topology) -> Iterator[Problem]:
    """Each remote's path to istiod (sidecars on 15012, its API server's injection webhook on
    15017) must be carried: by a VPN link to its primary, or by the primary's east-west
    gateway."""
    istio = t.istio
    if istio.legacy and istio.path_given is ControlPlanePath.EASTWEST_GATEWAY:
        yield Problem(
            "control-plane-path",
            "Istio 1.0 has no east-west gateway: its remotes reach the control plane by pod IP "
            "over the VPN",
            ("istio", "controlPlanePath"),
            "remove controlPlanePath, or use a current version to reach istiod through an "
            "east-west gateway",
        )
    if not any(t.no_cluster_named(end) for link in t.vpn for end in link.between):
        # (A link naming an unknown cluster is reported; the pairs it meant are unknown.)
        how = ("(controlPlanePath: vpn)" if istio.path_given is not None
               else f"(the default on a {istio.network.value} network)")
        for remote, primary in remotes_cut_off(t):
            yield Problem(
                "control-plane-path",
                f"remote '{remote.name}' reaches istiod on '{primary}' through the VPN "
                f"{how}, but no VPN link joins them",
                (*remote.at, "name"),
                f"add a vpn entry with between: [{remote.name}, {primary}], or set "
                f"istio.controlPlanePath: eastwest-gateway so that '{remote.name}' reaches "
                f"istiod through the public east-west gateway of '{primary}'",
            )
    if t.left_out_of("clusters") or not _path_as_written(t):
        return  # a remote left out could be one the gateway serves
    for c in t.clusters:
        if c.east_west_ip and not t.has_eastwest_gateway(c):
            offer = t.reaches_istiod_over_vpn(c)
            yield Problem(
                "control-plane-path",
                f"eastWestGatewayIP is not used: cluster '{c.name}' gets no east-west gateway"
                + (" (its remotes reach istiod through the VPN)" if offer else ""),
                (*c.at, "eastWestGatewayIP"),
                "remove eastWestGatewayIP" + (", or set istio.controlPlanePath: "
                                               "eastwest-gateway to use it" if offer else ""),
                Severity.WARNING,
            )


LABEL_VALUE_MAX = 63
"""Kubernetes label values are at most 63 characters."""


@check()
def network_labels_fit(t: Topology) -> Iterator[Problem]:
    """Each cluster's network becomes the label topology.istio.io/network. A written network
    is a DNS label (the schema says so); the default one, ``<cluster>-network`` on per-cluster
    networks, is longer than the cluster's name and can pass the limit."""
    for c in t.clusters:
        if len(c.network) <= LABEL_VALUE_MAX or t.lost((*c.at, "network")):
            continue
        yield Problem(
            "label-too-long",
            f"the default network of cluster '{c.name}', '{c.network}', is {len(c.network)} "
            f"characters long; the label topology.istio.io/network takes at most "
            f"{LABEL_VALUE_MAX}",
            (*c.at, "name"),
            f"name the network yourself (network: <at most {LABEL_VALUE_MAX} characters>), or "
            f"shorten the cluster name to {LABEL_VALUE_MAX - len('-network')} characters",
        )
