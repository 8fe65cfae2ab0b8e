"""VPN links: ends, uniqueness, addresses, coverage of a flat network, lifetimes."""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterator

from ..errors import FieldPath, Member, Problem, dotted
from ..model import App, NetworkMode, Topology, VpnLink, seconds
from .addresses import cluster_ranges, overlaps
from .mesh import remotes_cut_off
from .registry import check, unknown_cluster


@check()
def links_name_clusters(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        for k, end in enumerate(link.between):
            cluster = t.cluster(end)
            if cluster is None:
                if t.no_cluster_named(end):
                    yield unknown_cluster(t, end, (*link.at, "between", k))
            elif cluster.vpn_gateway is None and not t.lost((*cluster.at, "vpnGateway")):
                yield Problem(
                    "gateway-missing",
                    f"cluster '{end}' is an end of a VPN link but has no vpnGateway",
                    (*link.at, "between", k),
                    f"add vpnGateway: <public address> to cluster '{end}'",
                )
        if link.initiator not in link.between:
            yield Problem(
                "unknown-reference",
                f"initiator '{link.initiator}' is not one of the link's ends "
                f"{list(link.between)}",
                (*link.at, "initiator"),
            )


@check()
def links_unique(t: Topology) -> Iterator[Problem]:
    first: dict[frozenset[str], VpnLink] = {}
    for link in t.vpn:
        key = frozenset(link.between)
        if key in first:
            yield Problem(
                "duplicate-link",
                _already_linked(link, first[key]),
                (*link.at, "between"),
                "one tunnel per pair: both chart releases would claim the same subnets",
            )
        else:
            first[key] = link


def _already_linked(link: VpnLink, earlier: VpnLink) -> str:
    if not link.from_set:
        return (f"clusters {link.between[0]} and {link.between[1]} are already linked at "
                f"{dotted(earlier.at)}")
    # The path of a set's link names the link; the same words for each of its links let them
    # be reported once for the set.
    last = earlier.at[-1] if earlier.at else None
    if isinstance(last, Member):
        return f"this link is already made by the {last.form} at {dotted(earlier.entry)}"
    return f"this link is already written at {dotted(earlier.at)}"


@check()
def link_sides_disjoint(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        a, b = t.cluster(link.between[0]), t.cluster(link.between[1])
        if a is None or b is None:
            continue
        if t.istio.network is NetworkMode.FLAT and a.network == b.network:
            continue  # already reported as cidr-overlap between the clusters
        for x, y in overlaps(cluster_ranges([a, b])):
            if x.cluster == y.cluster:
                continue
            yield Problem(
                "link-subnet-overlap",
                f"{y.label} ({y.text}) overlaps {x.label} ({x.text}) across this tunnel",
                (*link.at, "between"),
                "the tunnel would come up and carry nothing; renumber one side, or translate it "
                "with the strongSwan chart's localSubnetNAT/remoteSubnetNAT",
            )


@check()
def one_listener_per_address(t: Topology) -> Iterator[Problem]:
    """A listening chart release takes its address as its load balancer IP with UDP 500 and
    4500, so no two listening releases, and no two clusters, can share one address."""
    owner = {c.vpn_gateway: c.name for c in t.clusters if c.vpn_gateway}
    listening: dict[str, VpnLink] = {}
    pairs: set[frozenset[str]] = set()
    for link in t.vpn:
        address = t.listen_address(link)
        pair = frozenset(link.between)
        if address is None or link.initiator not in link.between:
            continue  # which end listens is not known (an initiator that is no end: reported)
        if link.at in t.unaddressed or pair in pairs:
            continue  # a pool too small, or a second link for one pair, is reported as such
        pairs.add(pair)
        at = link.listen_at or (
            (*link.at, "listenAddress") if link.listen_address else (*link.at, "between"))
        claimed_by = owner.get(address)
        if link.listen_address and claimed_by not in (None, link.responder):
            yield Problem(
                "gateway-shared",
                f"{address} is the vpnGateway of cluster '{claimed_by}', not an address of "
                f"'{link.responder}'",
                at,
                f"give the link an address of '{link.responder}'",
            )
            continue
        first = listening.get(address)
        if first is None:
            listening[address] = link
            continue
        if link.from_set:
            # The same words for each link of a set, so they are reported once for the set.
            yield Problem(
                "gateway-shared",
                f"'{link.responder}' listens on {address} for more than one link; each "
                "listening chart release claims its address and UDP ports 500 and 4500",
                at,
                f"give '{link.responder}' a listenPool with an address for each link it listens "
                "on past the first, or let it start some of them (initiator: balanced in a full "
                "mesh)",
            )
            continue
        yield Problem(
            "gateway-shared",
            f"'{link.responder}' already listens on {address} for the link at "
            f"{dotted(first.at)}; both chart releases would claim that address and UDP ports "
            "500 and 4500",
            at,
            f"give this link its own listenAddress (another public address of "
            f"'{link.responder}') or '{link.responder}' a listenPool, or let "
            f"'{link.responder}' start it (initiator: {link.responder})",
        )


@check("vpn.between")
def flat_network_links(t: Topology) -> Iterator[Problem]:
    """On a flat network pods talk directly, so every pair that talks needs a tunnel. Links
    left out by the builder still join the clusters they name."""
    if t.istio.network is not NetworkMode.FLAT or t.lost(("istio", "network")):
        return
    if any(t.no_cluster_named(end) for link in t.vpn for end in link.between):
        return  # a link names an unknown cluster (reported); the pairs it meant are unknown
    linked = {frozenset(link.between) for link in t.vpn}
    linked |= {frozenset(e.between) for e in t.left_out_of("vpn") if e.between}
    # A remote cut off from istiod is reported by the control plane's check: its calls to and
    # from the primary are not reported again.
    reported = {frozenset((c.name, primary)) for c, primary in remotes_cut_off(t)}
    # Clusters each cluster is linked to, or already reported as unlinked from.
    partners: dict[str, set[str]] = defaultdict(set)
    for a, b in (tuple(pair) for pair in linked | reported if len(pair) == 2):
        partners[a].add(b)
        partners[b].add(a)
    # Clusters in file order, those left out by the builder too (they may run callees).
    order = {e.name: e.at for e in t.left_out_of("clusters") if e.name}
    order.update((c.name, c.at) for c in t.clusters)
    for app in t.apps:
        for caller_cluster, callee_clusters, caller, callee, at in _cross_cluster_calls(t, app):
            unlinked = callee_clusters - partners[caller_cluster]
            if not unlinked:
                continue
            partners[caller_cluster] |= unlinked
            for other in unlinked:
                partners[other].add(caller_cluster)
            missing = sorted(unlinked, key=order.__getitem__)
            yield _calls_unlinked(caller_cluster, missing, caller, callee, at)


def _calls_unlinked(cluster: str, missing: list[str], caller: str, callee: str,
                    at: FieldPath) -> Problem:
    if len(missing) == 1:
        return Problem(
            "link-missing",
            f"{caller} in '{cluster}' calls {callee}, which runs in '{missing[0]}', but the two "
            "clusters have no VPN link",
            at,
            f"add a vpn entry with between: [{cluster}, {missing[0]}], or place {callee} in "
            f"'{cluster}' too",
        )
    shown = ", ".join(f"'{c}'" for c in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return Problem(
        "link-missing",
        f"{caller} in '{cluster}' calls {callee}, which runs in {len(missing)} clusters with no "
        f"VPN link to '{cluster}': {shown}{more}",
        at,
        f"add a vpn entry between '{cluster}' and each of them, or place {callee} in "
        f"'{cluster}' too",
    )


def _cross_cluster_calls(
    t: Topology, app: App
) -> Iterator[tuple[str, frozenset[str], str, str, FieldPath]]:
    """Each call of a placed workload to a service that also runs in other known clusters:
    the caller's cluster, those other clusters, caller, callee and where the caller is placed.
    A cluster left out by the builder is known by its name, which is all this needs."""
    runs_in = {
        service.name: frozenset(c for c in app.clusters_of_service(service.name)
                                if not t.no_cluster_named(c))
        for service in app.services
    }
    for placement in app.placement:
        if t.no_cluster_named(placement.cluster):
            continue
        for workload in app.placed_in(placement.cluster):
            for callee in workload.version.calls:
                others = runs_in.get(callee, frozenset()) - {placement.cluster}
                if others:
                    index = placement.workloads.index(workload.name)
                    yield (placement.cluster, others, workload.name, callee,
                           (*placement.at, index))


@check()
def ikev1_limits(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        if link.key_exchange == "ikev1":
            yield Problem(
                "ikev1-single-subnet",
                "IKEv1 allows one subnet per side, but each cluster routes two "
                "(service and pod ranges)",
                (*link.at, "keyExchange"),
                "use keyExchange: ikev2 (the chart's default)",
            )


_LINK_DEFAULTS = {f.name: f.default for f in dataclasses.fields(VpnLink)}


@check()
def lifetimes_consistent(t: Topology) -> Iterator[Problem]:
    # Links share their durations (all the links of a set do): each triple is compared once.
    too_short = functools.cache(_too_short)
    for link in t.vpn:
        short = too_short(link.margin_time, link.lifetime, link.ike_lifetime)
        if not short:
            continue
        if any(t.lost((*link.at, key)) for key in ("marginTime", "lifetime", "ikeLifetime")):
            continue  # a default stands in for the value written; comparing it would mislead
        margin_is_default = link.margin_time == _LINK_DEFAULTS["margin_time"]
        for key, value, default in short:
            # A lifetime left at its default was not written: point at the margin that was.
            implied = value == default and not margin_is_default
            yield Problem(
                "lifetime-too-short",
                f"{key} {value}{' (the default)' if implied else ''} is not longer than "
                f"marginTime {link.margin_time}",
                (*link.at, "marginTime" if implied else key),
                "re-keying starts marginTime before expiry, so the lifetime must exceed it",
            )


def _too_short(margin_time: str, lifetime: str, ike_lifetime: str
               ) -> tuple[tuple[str, str, object], ...]:
    """The lifetimes not longer than the margin (key, value, default), in the order reported."""
    margin = seconds(margin_time)
    return tuple((key, value, default) for key, value, default in (
        ("lifetime", lifetime, _LINK_DEFAULTS["lifetime"]),
        ("ikeLifetime", ike_lifetime, _LINK_DEFAULTS["ike_lifetime"])) if seconds(value) <= margin)


