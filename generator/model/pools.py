"""Listen-address pools: an address of its own for each link a cluster listens on.

A listening chart release claims its address (its LoadBalancer IP) with UDP 500 and 4500, so a
cluster that listens on several links needs an address for each. A link may write its own
``listenAddress``; otherwise the first link a cluster listens on uses its ``vpnGateway``, and
each further one, when the cluster has a ``listenPool``, the pool's first address that no link
uses yet. Links are served in the order of ``vpn`` (a set's links in the set's order), so the
same topology always gives the same addresses.

A pool lists addresses and CIDR blocks. A block stands for its usable addresses: all of them
but, in an IPv4 block larger than /31, the first and the last, and in an IPv6 block larger than
/127, the first. No address a cluster has as its ``vpnGateway`` or a link writes as its
``listenAddress`` is handed out. Several clusters may share a pool (written once in
``clusterDefaults``): an address handed to one link is used.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from ..errors import FieldPath
from .objects import Cluster, VpnLink

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def pool_addresses(pool: Sequence[str]) -> Iterator[IPAddress]:
    """Every address of ``pool`` in order; entries that are neither an address nor a block
    (reported by the checks) give none."""
    for entry in pool:
        try:
            if "/" not in entry:
                yield ipaddress.ip_address(entry)
                continue
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        first, last = int(network.network_address), int(network.broadcast_address)
        if network.version == 4 and network.prefixlen < 31:
            first, last = first + 1, last - 1
        elif network.version == 6 and network.prefixlen < 127:
            first += 1
        make = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
        for value in range(first, last + 1):
            yield make(value)


def _address(text: str | None) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text) if text else None
    except ValueError:
        return None


def assign_addresses(links: Sequence[VpnLink], clusters: Sequence[Cluster]
                     ) -> tuple[tuple[VpnLink, ...], frozenset[FieldPath]]:
    """``links`` with an address from its listening cluster's pool for each link that needs
    one, and the links that needed one when the pool had none left."""
    owners: dict[str, Cluster] = {}
    for c in clusters:
        owners.setdefault(c.name, c)
    if not any(c.listen_pool for c in owners.values()):
        return tuple(links), frozenset()
    taken = {a for a in (_address(c.vpn_gateway) for c in owners.values()) if a is not None}
    taken |= {a for a in (_address(link.listen_address) for link in links) if a is not None}
    # The clusters whose vpnGateway already serves a listening release.
    gateway_used = {link.responder for link in links
                    if link.listen_address and link.responder in owners
                    and _address(link.listen_address) == _address(
                        owners[link.responder].vpn_gateway)}
    cursors: dict[tuple[str, ...], Iterator[IPAddress]] = {}
    out: list[VpnLink] = []
    unaddressed: set[FieldPath] = set()
    for link in links:
        owner = owners.get(link.responder)
        if link.listen_address or owner is None:
            out.append(link)
            continue
        if owner.name not in gateway_used:
            gateway_used.add(owner.name)
            out.append(link)
            continue
        if not owner.listen_pool:
            out.append(link)  # two releases on one address: the checks report it
            continue
        # One cursor per pool: every address before it is taken, so the next free one is
        # found without starting over (a shared pool serves thousands of links).
        cursor = cursors.setdefault(owner.listen_pool, pool_addresses(owner.listen_pool))
        address = next((a for a in cursor if a not in taken), None)
        if address is None:
            unaddressed.add(link.at)
            out.append(link)
            continue
        taken.add(address)
        out.append(link.listening_at(str(address), owner.where("listenPool")))
    return tuple(out), frozenset(unaddressed)
