"""Semantic rules: what the schema cannot say about a topology.

Each check is a small generator of :class:`Problem` values; the rule name in each problem is
stable and documented. Every check runs and every problem is reported together. A check that
needs a whole section (say, all clusters to count primaries) declares it and stands aside when
that section lost entries to schema errors.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .errors import FieldPath, Problem, Severity, dotted
from .model import (
    App,
    Cluster,
    MeshModel,
    NetworkMode,
    Role,
    Topology,
    VpnLink,
)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
CheckFn = Callable[[Topology], Iterator[Problem]]


@dataclass(frozen=True)
class Check:
    run: CheckFn
    needs: frozenset[str]


CHECKS: list[Check] = []


def check(*needs: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(Check(fn, frozenset(needs)))
        return fn

    return register


def run_checks(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    for item in CHECKS:
        if item.needs & topology.incomplete:
            continue
        problems.extend(item.run(topology))
    return problems


# --- names ----------------------------------------------------------------------------------


def _duplicates(items: Iterable[tuple[str, FieldPath]], what: str) -> Iterator[Problem]:
    first: dict[str, FieldPath] = {}
    for name, at in items:
        if name in first:
            yield Problem(
                "duplicate-name",
                f"{what} '{name}' is defined twice (first at {dotted(first[name])})",
                (*at, "name"),
                f"give each {what} its own name",
            )
        else:
            first.setdefault(name, at)


@check()
def unique_names(t: Topology) -> Iterator[Problem]:
    yield from _duplicates(((c.name, c.at) for c in t.clusters), "cluster")
    yield from _duplicates(((a.name, a.at) for a in t.apps), "app")
    yield from _duplicates(((s.name, s.at) for s in t.traffic), "traffic stage")
    for app in t.apps:
        if app.catalog:
            continue
        yield from _duplicates(((s.name, s.at) for s in app.services), "service")
        for svc in app.services:
            yield from _duplicates(((v.name, v.at) for v in svc.versions), "version")
    owners: dict[str, App] = {}
    app_names: set[str] = set()
    for app in t.apps:
        if app.name in app_names:
            continue  # already reported as a duplicate app; its services would repeat that
        app_names.add(app.name)
        for svc in app.services:
            if svc.name in owners and owners[svc.name] is not app:
                yield Problem(
                    "duplicate-name",
                    f"service '{svc.name}' is defined by apps '{owners[svc.name].name}' "
                    f"and '{app.name}'",
                    (*app.at, "name"),
                    "traffic stages name services alone, so service names must be unique "
                    "across the apps of a topology",
                )
            owners.setdefault(svc.name, app)


# --- addresses ------------------------------------------------------------------------------


def parse_network(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


def _cidr_problem(text: str, at: FieldPath) -> Problem | None:
    try:
        ipaddress.ip_network(text, strict=True)
        return None
    except ValueError as exc:
        try:
            canonical = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return Problem("cidr-invalid", f"'{text}' is not a CIDR range ({exc})", at,
                           "write an address range such as 10.1.0.0/16")
        return Problem(
            "cidr-host-bits",
            f"'{text}' has host bits set",
            at,
            f"write {canonical}: the strongSwan chart refuses ranges that are not canonical",
        )


@check()
def cidrs_valid(t: Topology) -> Iterator[Problem]:
    for c in t.clusters:
        for key, text in (("podCIDR", c.pod_cidr), ("serviceCIDR", c.service_cidr)):
            problem = _cidr_problem(text, (*c.at, key))
            if problem:
                yield problem


@dataclass(frozen=True, order=True)
class _Range:
    first: int
    last: int
    version: int
    label: str
    at: FieldPath
    cluster: str
    text: str


def _ranges(clusters: Iterable[Cluster]) -> list[_Range]:
    out = []
    for c in clusters:
        for key, text in (("serviceCIDR", c.service_cidr), ("podCIDR", c.pod_cidr)):
            net = parse_network(text)
            if net is not None:
                out.append(
                    _Range(int(net.network_address), int(net.broadcast_address), net.version,
                           f"{c.name}.{key}", (*c.at, key), c.name, text)
                )
    return out


def overlaps(ranges: list[_Range]) -> Iterator[tuple[_Range, _Range]]:
    """Overlapping pairs by a sorted sweep; each later range is paired with the widest
    earlier range it falls into, so n ranges cost n log n, not n squared."""
    for version in (4, 6):
        ordered = sorted((r for r in ranges if r.version == version),
                         key=lambda r: (r.first, -r.last))
        reach: _Range | None = None
        for r in ordered:
            if reach is not None and r.first <= reach.last:
                yield reach, r
                if r.last > reach.last:
                    reach = r
            else:
                reach = r


@check()
def cidrs_disjoint(t: Topology) -> Iterator[Problem]:
    """Within a cluster always; across clusters wherever pods are routed between them."""
    for c in t.clusters:
        for a, b in overlaps(_ranges([c])):
            yield Problem(
                "cidr-overlap",
                f"{b.text} overlaps {a.label} ({a.text}) of the same cluster",
                b.at,
                "pod and service ranges of one cluster must be disjoint",
            )
    if t.istio.network is NetworkMode.FLAT:
        groups: dict[str, list[Cluster]] = defaultdict(list)
        for c in t.clusters:
            groups[c.network].append(c)
        reason = "pods must be routable across the VPN, so ranges on one network must be disjoint"
        yield from _cross_cluster_overlaps(groups.values(), reason)


def _cross_cluster_overlaps(groups: Iterable[list[Cluster]], reason: str) -> Iterator[Problem]:
    for members in groups:
        for a, b in overlaps(_ranges(members)):
            if a.cluster == b.cluster:
                continue
            yield Problem(
                "cidr-overlap",
                f"{b.text} overlaps {a.label} ({a.text}) of cluster {a.cluster}",
                b.at,
                reason,
            )


def _containing(ranges: list[_Range]) -> Callable[[IPAddress], list[_Range]]:
    """A lookup of the ranges that contain an address. CIDR ranges are found by the address's
    own prefixes (one per prefix length), so each lookup costs at most 129 probes however
    many ranges there are."""
    by_block: dict[tuple[int, int, int], list[_Range]] = defaultdict(list)
    for r in ranges:
        by_block[(r.version, r.first, r.last)].append(r)

    def lookup(address: IPAddress) -> list[_Range]:
        bits = address.max_prefixlen
        value = int(address)
        found: list[_Range] = []
        for host_bits in range(bits + 1):
            first = value >> host_bits << host_bits
            found.extend(by_block.get((address.version, first, first + (1 << host_bits) - 1),
                                      ()))
        return found

    return lookup


@check()
def gateways_outside_ranges(t: Topology) -> Iterator[Problem]:
    ranges = _ranges(t.clusters)
    order = {id(r): k for k, r in enumerate(ranges)}
    containing = _containing(ranges)
    addresses: list[tuple[FieldPath, str | None]] = []
    for c in t.clusters:
        addresses += [((*c.at, "vpnGateway"), c.vpn_gateway),
                      ((*c.at, "eastWestGatewayIP"), c.east_west_ip)]
    addresses += [((*link.at, "listenAddress"), link.listen_address) for link in t.vpn]
    for at, text in addresses:
        if text is None:
            continue
        address = ipaddress.ip_address(text)
        for r in sorted(containing(address), key=lambda r: order[id(r)]):
            yield Problem(
                "gateway-in-cidr",
                f"{text} lies inside {r.label} ({r.text})",
                at,
                "a gateway address is reached from outside the clusters; it cannot be a pod or "
                "service address",
            )


# --- the VPN --------------------------------------------------------------------------------


@check("clusters")
def links_name_clusters(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        for k, end in enumerate(link.between):
            cluster = t.cluster(end)
            if cluster is None:
                yield _unknown_cluster(t, end, (*link.at, "between", k))
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


def _unknown_cluster(t: Topology, name: str, at: FieldPath) -> Problem:
    known = [c.name for c in t.clusters]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"clusters: {', '.join(known)}"
    return Problem("unknown-reference", f"no cluster named '{name}'", at, hint)


@check()
def links_unique(t: Topology) -> Iterator[Problem]:
    first: dict[frozenset[str], VpnLink] = {}
    for link in t.vpn:
        key = frozenset(link.between)
        if key in first:
            yield Problem(
                "duplicate-link",
                f"clusters {link.between[0]} and {link.between[1]} are already linked at "
                f"{dotted(first[key].at)}",
                (*link.at, "between"),
                "one tunnel per pair: both chart releases would claim the same subnets",
            )
        else:
            first[key] = link


@check()
def link_sides_disjoint(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        a, b = t.cluster(link.between[0]), t.cluster(link.between[1])
        if a is None or b is None:
            continue
        if t.istio.network is NetworkMode.FLAT and a.network == b.network:
            continue  # already reported as cidr-overlap between the clusters
        for x, y in overlaps(_ranges([a, b])):
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
    for link in t.vpn:
        address = t.listen_address(link)
        if address is None:
            continue
        at = (*link.at, "listenAddress") if link.listen_address else (*link.at, "between")
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
        yield Problem(
            "gateway-shared",
            f"'{link.responder}' already listens on {address} for the link at "
            f"{dotted(first.at)}; both chart releases would claim that address and UDP ports "
            "500 and 4500",
            at,
            f"give this link its own listenAddress (another public address of "
            f"'{link.responder}'), or let '{link.responder}' start it (initiator: "
            f"{link.responder})",
        )


@check("clusters", "vpn", "apps")
def flat_network_links(t: Topology) -> Iterator[Problem]:
    """On a flat network pods talk directly, so every pair that talks needs a tunnel."""
    if t.istio.network is not NetworkMode.FLAT:
        return
    if any(t.cluster(end) is None for link in t.vpn for end in link.between):
        return  # a link names an unknown cluster (reported); the pairs it meant are unknown
    linked = {frozenset(link.between) for link in t.vpn}
    reported: set[frozenset[str]] = set()
    for c in t.remotes:
        primary = t.cluster(c.primary) if c.primary else None
        pair = frozenset((c.name, c.primary or ""))
        if primary is not None and primary.is_primary and pair not in linked:
            reported.add(pair)
            yield Problem(
                "link-missing",
                f"remote '{c.name}' has no VPN link to its primary '{c.primary}'",
                (*c.at, "name"),
                f"add a vpn entry with between: [{c.name}, {c.primary}]: on a flat network the "
                "remote's proxies reach istiod over the VPN",
            )
    # Clusters each cluster is linked to, or already reported as unlinked from.
    partners: dict[str, set[str]] = defaultdict(set)
    for a, b in (tuple(pair) for pair in linked | reported if len(pair) == 2):
        partners[a].add(b)
        partners[b].add(a)
    order = {c.name: k for k, c in enumerate(t.clusters)}
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
    the caller's cluster, those other clusters, caller, callee and where the caller is placed."""
    runs_in = {
        service.name: frozenset(c for c in app.clusters_of_service(service.name)
                                if t.cluster(c) is not None)
        for service in app.services
    }
    for placement in app.placement:
        if t.cluster(placement.cluster) is None:
            continue
        for workload in app.placed_in(placement.cluster):
            for callee in workload.version.calls:
                others = runs_in.get(callee, frozenset()) - {placement.cluster}
                if others:
                    index = placement.workloads.index(workload.name)
                    yield (placement.cluster, others, workload.name, callee,
                           (*placement.at, index))


_PROPOSAL_ALGORITHM = re.compile(r"^[a-z0-9_]+$")
# Known algorithm keywords of strongSwan's proposal syntax, as the parser accepts them.
_ENCRYPTION = re.compile(
    r"^(aes(128|192|256)?(gcm(8|12|16|64|96|128)?|ccm(8|12|16|64|96|128)?|ctr)?(_(8|12|16))?"
    r"|aes(128|192|256)?gmac|3des|des|blowfish(128|192|256)?|cast128|camellia(128|192|256)?"
    r"(ctr|ccm(8|12|16|64|96|128)?)?|chacha20poly1305|null)$"
)
_INTEGRITY = re.compile(
    r"^(md5|md5_128|sha1|sha1_160|sha|sha256|sha2_256|sha256_96|sha2_256_96|sha384|sha2_384"
    r"|sha512|sha2_512|aesxcbc|aescmac|aes128gmac|aes192gmac|aes256gmac)$"
)
_PRF = re.compile(r"^prf(md5|sha1|sha256|sha384|sha512|aesxcbc|aescmac)$")
_DH = re.compile(
    r"^(modp(768|1024|1536|2048|3072|4096|6144|8192)|modp1024s160|modp2048s224|modp2048s256"
    r"|ecp(192|224|256|384|521)|ecp224bp|ecp256bp|ecp384bp|ecp512bp|curve25519|x25519"
    r"|curve448|x448|noesn|esn)$"
)
_WEAK = {
    "des": "DES",
    "3des": "3DES",
    "md5": "MD5",
    "md5_128": "MD5",
    "sha1": "SHA-1",
    "sha": "SHA-1",
    "sha1_160": "SHA-1",
    "prfmd5": "MD5",
    "prfsha1": "SHA-1",
    "modp768": "MODP-768",
    "modp1024": "MODP-1024",
    "modp1024s160": "MODP-1024",
    "modp1536": "MODP-1536",
}


def proposal_problems(text: str, kind: str) -> tuple[list[str], list[str]]:
    """Errors and weak algorithms of one ``ike``/``esp`` value (comma separated proposals)."""
    errors: list[str] = []
    weak: list[str] = []
    for proposal in text.rstrip("!").split(","):
        parts = proposal.strip().split("-")
        if not proposal.strip() or not all(parts):
            errors.append(f"'{proposal}' is not a proposal (algorithms joined by '-')")
            continue
        has_encryption = False
        for part in parts:
            if not _PROPOSAL_ALGORITHM.match(part) or not (
                _ENCRYPTION.match(part) or _INTEGRITY.match(part) or _DH.match(part)
                or (kind == "ike" and _PRF.match(part))
            ):
                errors.append(f"unknown algorithm '{part}' in '{proposal}'")
                continue
            has_encryption = has_encryption or bool(_ENCRYPTION.match(part))
            if part in _WEAK:
                weak.append(_WEAK[part])
        if not has_encryption and not errors:
            errors.append(f"'{proposal}' names no encryption algorithm")
        if kind == "ike" and not any(_DH.match(p) for p in parts) and not errors:
            errors.append(f"'{proposal}' names no key exchange (DH) group")
    return errors, sorted(set(weak))


@check()
def proposals_valid(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        for key, text in (("ike", link.ike), ("esp", link.esp)):
            errors, weak = proposal_problems(text, key)
            at = (*link.at, key)
            for message in errors:
                yield Problem("proposal-invalid", message, at,
                              "write strongSwan proposals such as aes256gcm16-prfsha384-ecp384")
            if weak and not link.allow_weak_crypto:
                yield Problem(
                    "weak-crypto",
                    f"{key} proposal uses weak algorithms: {', '.join(weak)}",
                    at,
                    "use aes256gcm16-prfsha384-ecp384 (ike) / aes256gcm16-ecp384 (esp), or set "
                    "allowWeakCrypto: true on this link if the peer can do nothing better",
                )
            elif weak:
                yield Problem(
                    "weak-crypto",
                    f"{key} proposal uses weak algorithms: {', '.join(weak)} (allowed by "
                    "allowWeakCrypto)",
                    at,
                    "plan to move the peer to a stronger proposal",
                    Severity.WARNING,
                )


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


def seconds(duration: str) -> int:
    unit = duration[-1]
    if unit.isdigit():
        return int(duration)
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[unit]


_LINK_DEFAULTS = {f.name: f.default for f in dataclasses.fields(VpnLink)}


@check()
def lifetimes_consistent(t: Topology) -> Iterator[Problem]:
    for link in t.vpn:
        if any(t.lost((*link.at, key)) for key in ("marginTime", "lifetime", "ikeLifetime")):
            continue  # a default stands in for the value written; comparing it would mislead
        margin = seconds(link.margin_time)
        margin_is_default = link.margin_time == _LINK_DEFAULTS["margin_time"]
        lifetimes = (("lifetime", link.lifetime, _LINK_DEFAULTS["lifetime"]),
                     ("ikeLifetime", link.ike_lifetime, _LINK_DEFAULTS["ike_lifetime"]))
        for key, value, default in lifetimes:
            if seconds(value) <= margin:
                # A lifetime left at its default was not written: point at the margin that was.
                implied = value == default and not margin_is_default
                yield Problem(
                    "lifetime-too-short",
                    f"{key} {value}{' (the default)' if implied else ''} is not longer than "
                    f"marginTime {link.margin_time}",
                    (*link.at, "marginTime" if implied else key),
                    "re-keying starts marginTime before expiry, so the lifetime must exceed it",
                )


# --- control plane --------------------------------------------------------------------------


@check("clusters")
def primaries_fit_model(t: Topology) -> Iterator[Problem]:
    primaries = t.primaries
    if t.istio.model is MeshModel.PRIMARY_REMOTE and len(primaries) != 1:
        found = ", ".join(c.name for c in primaries) or "none"
        yield Problem(
            "primary-count",
            f"model primary-remote needs exactly one primary (found: {found})",
            ("clusters",),
            "set role: primary on one cluster, or use istio.model: multi-primary",
            on_key=True,
        )
    if t.istio.model is MeshModel.MULTI_PRIMARY and len(primaries) < 2:
        yield Problem(
            "primary-count",
            f"model multi-primary needs at least two primaries (found {len(primaries)})",
            ("clusters",),
            "set role: primary on two or more clusters, or use istio.model: primary-remote",
            on_key=True,
        )
    if t.istio.legacy and t.istio.model is MeshModel.MULTI_PRIMARY:
        yield Problem(
            "istio-version",
            "Istio 1.0 has no multi-primary install",
            ("istio", "model"),
            "use model: primary-remote with version \"1.0\", or a current version",
        )


@check("clusters")
def remotes_name_primaries(t: Topology) -> Iterator[Problem]:
    for c in t.clusters:
        if c.role is Role.PRIMARY and c.primary_given:
            yield Problem("remote-primary", f"primary '{c.name}' cannot have a primary",
                          (*c.at, "primary"), "remove primary:, or set role: remote")
        if c.role is not Role.REMOTE:
            continue
        if c.primary is None:
            if len(t.primaries) > 1:
                yield Problem(
                    "remote-primary",
                    f"remote '{c.name}' does not say which primary drives it",
                    (*c.at, "role"),
                    "add primary: <name>; the mesh has several primaries",
                )
            continue
        target = t.cluster(c.primary)
        if target is None:
            yield _unknown_cluster(t, c.primary, (*c.at, "primary"))
        elif not target.is_primary:
            yield Problem("remote-primary", f"'{c.primary}' is not a primary", (*c.at, "primary"),
                          "a remote must name a cluster with role: primary")


@check("istio")
def istio_version_supported(t: Topology) -> Iterator[Problem]:
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
    if t.istio.legacy and t.istio.network is NetworkMode.PER_CLUSTER:
        yield Problem(
            "istio-version",
            "Istio 1.0 has no multi-network support",
            ("istio", "network"),
            "use network: flat with version \"1.0\"",
        )


@check("clusters")
def networks_fit_mode(t: Topology) -> Iterator[Problem]:
    if t.istio.network is NetworkMode.FLAT:
        names = {c.network for c in t.clusters}
        if len(names) > 1:
            first = t.clusters[0]
            for c in t.clusters[1:]:
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
        for c in t.clusters:
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


# --- apps -----------------------------------------------------------------------------------


@check("clusters")
def placements_resolve(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        known = app.workloads
        for placement in app.placement:
            if t.cluster(placement.cluster) is None and not t.known("clusters", placement.cluster):
                problem = _unknown_cluster(t, placement.cluster, placement.at)
                yield Problem(problem.rule, problem.message, placement.at, problem.hint,
                              on_key=True)
            for k, name in enumerate(placement.workloads):
                if name not in known:
                    close = difflib.get_close_matches(name, list(known), n=1)
                    yield Problem(
                        "unknown-reference",
                        f"app '{app.name}' has no workload '{name}'",
                        (*placement.at, k),
                        f"did you mean '{close[0]}'?" if close else
                        f"workloads are <service>-<version>: {', '.join(known)}",
                    )
        if app.ingress and t.cluster(app.ingress) is None:
            if not t.known("clusters", app.ingress):
                yield _unknown_cluster(t, app.ingress, (*app.at, "ingress"))
        elif app.ingress:
            ingress = t.cluster(app.ingress)
            if ingress is not None and not ingress.is_primary:
                yield Problem(
                    "ingress-cluster",
                    f"ingress '{app.ingress}' is a remote; its Gateway would not be read there",
                    (*app.at, "ingress"),
                    "put the ingress on a primary: Istio config is applied to primaries only",
                )
        if app.ingress and app.entry is None:
            yield Problem("ingress-entry", f"app '{app.name}' has an ingress but no entry",
                          (*app.at, "ingress"),
                          "add entry: {service: ..., uris: [...]} naming what the gateway serves")


@check()
def app_definitions_resolve(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        names = {s.name for s in app.services}
        for svc in app.services:
            for version in svc.versions:
                for callee in version.calls:
                    if callee not in names:
                        yield Problem("unknown-reference",
                                      f"{svc.name}-{version.name} calls '{callee}', which app "
                                      f"'{app.name}' does not define",
                                      version.at or svc.at)
        if app.entry is not None:
            entry_service = app.service(app.entry.service)
            if entry_service is None:
                yield Problem("unknown-reference",
                              f"entry service '{app.entry.service}' is not a service of the app",
                              (*app.entry.at, "service") if app.entry.at[-1] == "entry" else
                              app.entry.at)
            elif app.entry.port and app.entry.port not in {
                    p.port for p in entry_service.ports}:
                yield Problem("unknown-reference",
                              f"service '{entry_service.name}' has no port {app.entry.port}",
                              (*app.entry.at, "port"))


@check("clusters")
def callees_deployed(t: Topology) -> Iterator[Problem]:
    for app in t.apps:
        placed = {w.service.name for p in app.placement for w in app.placed_in(p.cluster)}
        for placement in app.placement:
            for workload in app.placed_in(placement.cluster):
                for callee in workload.version.calls:
                    if callee in {s.name for s in app.services} and callee not in placed:
                        yield Problem(
                            "callee-not-placed",
                            f"{workload.name} calls '{callee}', but no version of it is placed "
                            "in any cluster",
                            (*placement.at, placement.workloads.index(workload.name)),
                            f"place a version of {callee} in some cluster",
                        )
        if (app.ingress and app.entry and app.entry.service not in placed
                and app.service(app.entry.service)):
            yield Problem("callee-not-placed",
                          f"entry service '{app.entry.service}' is not placed in any cluster",
                          (*app.at, "placement"))


# --- traffic --------------------------------------------------------------------------------


@check("apps")
def stages_resolve(t: Topology) -> Iterator[Problem]:
    for stage in t.traffic:
        for route in stage.routes:
            app = t.service_owner(route.service)
            if app is None:
                known = sorted({s.name for a in t.apps for s in a.services})
                yield Problem("unknown-reference",
                              f"stage '{stage.name}' routes '{route.service}', which no app "
                              "defines",
                              route.at, f"services: {', '.join(known) or 'none'}", on_key=True)
                continue
            deployed = app.deployed_versions(route.service)
            for rule in route.rules:
                for dest in rule.destinations:
                    if dest.version not in deployed:
                        defined = app.service(route.service)
                        exists = defined is not None and defined.version(dest.version)
                        yield Problem(
                            "unknown-reference",
                            f"{route.service} {dest.version} "
                            + ("is not placed in any cluster" if exists else "does not exist"),
                            (*rule.at, "to") if route.form == "rules" else rule.at,
                            f"deployed versions of {route.service}: "
                            f"{', '.join(deployed) or 'none'}",
                        )


@check()
def weights_sum(t: Topology) -> Iterator[Problem]:
    for stage in t.traffic:
        for route in stage.routes:
            for rule in route.rules:
                weights = [d.weight for d in rule.destinations if d.weight is not None]
                if weights and sum(weights) != 100:
                    yield Problem(
                        "weights-sum",
                        f"weights add up to {sum(weights)}, not 100",
                        (*rule.at, "to") if route.form == "rules" else rule.at,
                        "Istio refuses a weighted route whose weights do not sum to 100",
                    )


@check()
def catch_all_last(t: Topology) -> Iterator[Problem]:
    for stage in t.traffic:
        for route in stage.routes:
            if route.form != "rules":
                continue
            for rule in route.rules[:-1]:
                if rule.match is None:
                    yield Problem(
                        "catch-all-not-last",
                        "a rule without match catches every request, so the rules after it "
                        "never apply",
                        rule.at,
                        "move the rule without match to the end of the list",
                    )
            if route.rules and route.rules[-1].match is not None:
                yield Problem(
                    "default-missing",
                    "the last rule has a match, so requests that match no rule are refused",
                    route.rules[-1].at,
                    "end the list with a rule that has only to: (the default)",
                )
