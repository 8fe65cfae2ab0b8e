"""The lookup of the cluster ranges holding an address finds exactly the ranges a scan of all
of them finds, in the same order, whatever prefix lengths the ranges have."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from generator.checks.addresses import _containing, _Range

NETWORKS = st.one_of(
    st.builds(lambda value, prefix: ipaddress.ip_network((value, prefix), strict=False),
              st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.builds(lambda value, prefix: ipaddress.ip_network((value, prefix), strict=False),
              st.integers(0, 2**128 - 1), st.integers(0, 128)),
)
ADDRESSES = st.one_of(st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1)),
                      st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1)))


@given(st.lists(NETWORKS, max_size=12), st.lists(ADDRESSES, max_size=6),
       st.data())
def test_found_as_a_scan_finds_them(
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
        data: st.DataObject) -> None:
    ranges = [_Range(int(n.network_address), int(n.broadcast_address), n.version, f"r{k}",
                     (), "c", str(n)) for k, n in enumerate(networks)]
    # Addresses inside the ranges too, not only anywhere.
    for r in ranges[:3]:
        inside = data.draw(st.integers(r.first, r.last))
        addresses.append(ipaddress.IPv4Address(inside) if r.version == 4
                         else ipaddress.IPv6Address(inside))
    lookup = _containing(ranges)
    for address in addresses:
        scanned = [r for r in ranges
                   if r.version == address.version and r.first <= int(address) <= r.last]
        found = lookup(address)
        assert sorted(map(id, found)) == sorted(map(id, scanned))
        # Shortest host part first: the narrowest range first, as before.
        assert [r.last - r.first for r in found] == sorted(r.last - r.first for r in found)
