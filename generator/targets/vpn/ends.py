"""The two ends of every VPN link, and the names and durations both VPN configs share.

Each end of a link is one release of the strongSwan chart in its cluster (``vpn-<peer>``) and
one swanctl connection of the same name, so a cluster with several peers runs one tunnel per
peer side by side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from ...artifacts import Chart
from ...model import Cluster, Topology, VpnLink

CHART = Chart.STRONGSWAN
CHART_VERSION = "2.10.7"
CHART_REPO_NAME = CHART.repository
CHART_REPO_URL = "https://icr.io/helm/iks-charts"
NAMESPACE = "kube-system"

# The chart names its Deployment, Service and ServiceAccount "<release cut to 35>-strongswan":
# a release name longer than 35 characters would be cut, and two peers sharing those 35
# characters would then claim the same objects. Helm itself allows 53.
RELEASE_LIMIT = 35
SUFFIX = "-strongswan"


def release_name(peer: str) -> str:
    """``vpn-<peer>``, or, for a long peer name, its start plus a hash of the whole name."""
    name = f"vpn-{peer}"
    if len(name) <= RELEASE_LIMIT:
        return name
    digest = hashlib.sha256(peer.encode("utf-8")).hexdigest()[:8]
    head = name[: RELEASE_LIMIT - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def chart_close_action(setting: str, initiates: bool) -> str:
    """The close action a chart release runs for a ``closeaction`` setting: the chart resolves
    ``auto`` to restart on the end that starts the tunnel and none on the end that listens."""
    if setting == "auto":
        return "restart" if initiates else "none"
    return setting


def chart_fullname(release: str) -> str:
    """Name of the release's Deployment and Service, as the chart's helper makes it."""
    return f"{release[:RELEASE_LIMIT].rstrip('-')}{SUFFIX}"


@dataclass(frozen=True)
class LinkEnd:
    """One cluster's end of a link: what it exposes, whom it talks to, who starts."""

    link: VpnLink
    local: Cluster
    peer: Cluster
    listen_address: str
    """Where the listening end of the link is reached (listenAddress, else its vpnGateway)."""

    @property
    def initiates(self) -> bool:
        return self.link.initiator == self.local.name

    @property
    def release(self) -> str:
        return release_name(self.peer.name)

    @property
    def folder(self) -> str:
        return f"{self.local.name}/vpn/{self.peer.name}"

    @property
    def connection(self) -> str:
        """Name of the swanctl connection and its child: the release name, unique per gateway."""
        return self.release

    @property
    def secrets_file(self) -> str:
        """File beside an installed swanctl.conf that holds the key; never under output/."""
        return f"{self.connection}.secrets"

    @property
    def local_subnets(self) -> str:
        return ",".join(self.local.cidrs)

    @property
    def remote_subnets(self) -> str:
        return ",".join(self.peer.cidrs)

    @property
    def close_action(self) -> str:
        """The close action this end runs, ``auto`` resolved."""
        return chart_close_action(self.link.close_action, self.initiates)


def link_ends(t: Topology) -> Iterator[LinkEnd]:
    """For every link in topology order: the listening end, then the initiating end."""
    for link in t.vpn:
        initiator, responder = t.cluster(link.initiator), t.cluster(link.responder)
        address = t.listen_address(link)
        if initiator is None or responder is None or address is None:
            continue
        yield LinkEnd(link, responder, initiator, address)
        yield LinkEnd(link, initiator, responder, address)


def duration(total: int) -> str:
    """Seconds written in the largest whole unit: 10260 -> ``171m``."""
    for unit, size in (("h", 3600), ("m", 60)):
        if total % size == 0:
            return f"{total // size}{unit}"
    return f"{total}s"
