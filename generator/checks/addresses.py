"""Address ranges and gateway addresses."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..errors import FieldPath, Problem
from ..model import Cluster, NetworkMode, Topology
from .registry import check

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=65536)
def parse_address(text: str) -> IPAddress:
    """An address the schema's format check let through (parsed once for every check)."""
    return ipaddress.ip_address(text)


def parse_network(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


_LEADING_ZERO = re.compile(r"(^|[.])0[0-9]")


def cidr_problem(text: str, at: FieldPath) -> Problem | None:
    """Ranges are used as written (chart values, strongSwan traffic selectors, the site), so
    they must be written as ``ipaddress`` prints them. Leading zeros in an IPv4 address are
    refused outright: ``010`` is 10 to some tools and 8 (octal) to others. Other spellings of
    a range (``/024``, upper-case or uncompressed IPv6) are unambiguous but refused too, with
    the one spelling in the hint, rather than rewritten: what the topology says is what every
    generated file says."""
    address = text.partition("/")[0]
    if "." in address and _LEADING_ZERO.search(address):
        return Problem("cidr-invalid", f"'{text}' has a leading zero in an address part", at,
                       "write each part without leading zeros (10.1.0.0/16): some tools read "
                       "010 as 10, others as 8 (octal)")
    try:
        network = ipaddress.ip_network(text, strict=True)
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
    if str(network) != text:
        return Problem("cidr-not-canonical", f"'{text}' is {network} written another way", at,
                       f"write {network}: generated files copy the range as written, and one "
                       "spelling keeps them comparable")
    return None


@check()
def cidrs_valid(t: Topology) -> Iterator[Problem]:
    for c in t.clusters:
        for key, text in (("podCIDR", c.pod_cidr), ("serviceCIDR", c.service_cidr)):
            problem = cidr_problem(text, (*c.at, key))
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


def cluster_ranges(clusters: Iterable[Cluster]) -> list[_Range]:
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
        for a, b in overlaps(cluster_ranges([c])):
            yield Problem(
                "cidr-overlap",
                f"{b.text} overlaps {a.label} ({a.text}) of the same cluster",
                b.at,
                "pod and service ranges of one cluster must be disjoint",
            )
    if t.istio.network is NetworkMode.FLAT and not t.lost(("istio", "network")):
        groups: dict[str, list[Cluster]] = defaultdict(list)
        for c in t.clusters:
            groups[c.network].append(c)
        reason = "pods must be routable across the VPN, so ranges on one network must be disjoint"
        yield from _cross_cluster_overlaps(groups.values(), reason)


def _cross_cluster_overlaps(groups: Iterable[list[Cluster]], reason: str) -> Iterator[Problem]:
    for members in groups:
        for a, b in overlaps(cluster_ranges(members)):
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
    own prefixes, one for each prefix length the ranges have (at most 129), however many
    ranges there are."""
    by_block: dict[tuple[int, int, int], list[_Range]] = defaultdict(list)
    for r in ranges:
        by_block[(r.version, r.first, r.last)].append(r)
    # Only the prefix lengths some range has are probed, shortest host part first.
    sizes: dict[int, list[int]] = {4: [], 6: []}
    for version, host_bits in sorted({(r.version, (r.last - r.first).bit_length())
                                      for r in ranges}):
        sizes[version].append(host_bits)

    def lookup(address: IPAddress) -> list[_Range]:
        value = int(address)
        found: list[_Range] = []
        for host_bits in sizes[address.version]:
            first = value >> host_bits << host_bits
            found.extend(by_block.get((address.version, first, first + (1 << host_bits) - 1),
                                      ()))
        return found

    return lookup


def gateway_addresses(t: Topology) -> list[tuple[FieldPath, str]]:
    """Every gateway address a topology writes, with where: each cluster's vpnGateway and
    eastWestGatewayIP, each link's listenAddress."""
    addresses: list[tuple[FieldPath, str | None]] = []
    for c in t.clusters:
        addresses += [((*c.at, "vpnGateway"), c.vpn_gateway),
                      ((*c.at, "eastWestGatewayIP"), c.east_west_ip)]
    addresses += [(link.listen_at or (*link.at, "listenAddress"), link.listen_address)
                  for link in t.vpn]
    return [(at, text) for at, text in addresses if text is not None]


_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _unusable(address: IPAddress) -> str:
    """Why peers cannot reach ``address``, or '' when they can."""
    if address.is_unspecified:
        return "is the unspecified address (any address of a host, none in particular)"
    if address.is_loopback:
        return "is a loopback address, which never leaves its host"
    if address.is_multicast:
        return "is a multicast address"
    if address.is_link_local:
        return "is a link-local address, valid on one network segment only"
    if address == _BROADCAST:
        return "is the broadcast address"
    return ""


@check()
def gateway_addresses_usable(t: Topology) -> Iterator[Problem]:
    """A gateway address is where peers reach a VPN endpoint or an east-west gateway, and it
    is copied as written into chart values, strongSwan configs and IstioOperators."""
    for at, text in gateway_addresses(t):
        address = parse_address(text)
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            yield Problem("gateway-address",
                          f"{text} is the IPv4 address {mapped} written as IPv6 (IPv4-mapped)",
                          at, f"write {mapped}: the address is compared with IPv4 ranges and "
                              "peers, and a mapped one matches neither")
            continue
        why = _unusable(address)
        if why:
            yield Problem("gateway-address", f"{text} {why}", at,
                          "write the public address peers connect to (a load balancer IP or "
                          "a node IP)")
        elif str(address) != text:
            yield Problem("gateway-address", f"{text} is {address} written another way", at,
                          f"write {address}: generated files copy the address as written")


@check()
def gateways_outside_ranges(t: Topology) -> Iterator[Problem]:
    ranges = cluster_ranges(t.clusters)
    order = {id(r): k for k, r in enumerate(ranges)}
    containing = _containing(ranges)
    for at, text in gateway_addresses(t):
        address = parse_address(text)
        for r in sorted(containing(address), key=lambda r: order[id(r)]):
            yield Problem(
                "gateway-in-cidr",
                f"{text} lies inside {r.label} ({r.text})",
                at,
                "a gateway address is reached from outside the clusters; it cannot be a pod or "
                "service address",
            )


