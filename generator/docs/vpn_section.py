"""The VPN on the pages: both ends of each link side by side, or, for many links, one compact
row per link on the overview and each cluster's links in full on that cluster's page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial

from ..model import Cluster, NetworkMode, Topology, VpnLink
from .deferred import Part
from .markup import Cell, code, esc, md_code, md_text, table

DETAILED_LINKS = 8
"""More links than this and the overview shows one compact row per link."""

Setting = tuple[str, Callable[[VpnLink], str]]
SETTINGS: tuple[Setting, ...] = (
    ("IKE version", lambda link: link.key_exchange),
    ("IKE proposal", lambda link: link.ike),
    ("ESP proposal", lambda link: link.esp),
    ("Lifetimes (IKE / IPsec / margin)",
     lambda link: f"{link.ike_lifetime} / {link.lifetime} / {link.margin_time}"),
    ("Dead peer detection", lambda link: f"{link.dpd_action} every {link.dpd_delay}"),
    ("Close action", lambda link: link.close_action),
)


def compact(t: Topology) -> bool:
    return len(t.vpn) > DETAILED_LINKS


def secret_words(link: VpnLink) -> str:
    if link.psk.is_env:
        return f"environment variable {link.psk.name} when the runbook runs"
    return f"file {link.psk.name} when the runbook runs"


def _subnets(cluster: Cluster | None) -> Cell:
    if cluster is None:
        return Cell("?")
    return Cell(f"<code>{esc(cluster.service_cidr)}</code> (services)<br>"
                f"<code>{esc(cluster.pod_cidr)}</code> (pods)")


def _listens_on(t: Topology, link: VpnLink) -> Cell | str:
    listen = t.listen_address(link)
    return code(listen) if listen else "not set"


def _detailed_link(t: Topology, link: VpnLink, files: Callable[[str, str], Cell | str]) -> str:
    ends = (t.cluster(link.initiator), t.cluster(link.responder))
    names = (link.initiator, link.responder)

    def gateway(c: Cluster | None) -> Cell | str:
        return code(c.vpn_gateway) if c and c.vpn_gateway else "not set"

    listens_on = _listens_on(t, link)
    rows: list[list[Cell | str]] = [
        ["Starts the tunnel (ipsec.auto)", Cell("yes: <code>start</code>"),
         Cell("no, listens: <code>add</code>")],
        ["Public address (vpnGateway; listenAddress of the link for the listening end)",
         gateway(ends[0]), listens_on],
        ["Connects to (remote.gateway)", listens_on, code("%any")],
        ["Routes its own subnets into the tunnel (local.subnet)",
         _subnets(ends[0]), _subnets(ends[1])],
        ["Reaches the peer's subnets (remote.subnet)", _subnets(ends[1]), _subnets(ends[0])],
        ["Helm release (chart iks-charts/strongswan)", code(f"vpn-{names[1]}"),
         code(f"vpn-{names[0]}")],
        ["Files", files(names[0], names[1]), files(names[1], names[0])],
    ]
    headers = ("", Cell(f"<code>{esc(names[0])}</code> (initiator)"),
               Cell(f"<code>{esc(names[1])}</code> (responder)"))
    shared: list[list[Cell | str]] = [[label, code(value(link))] for label, value in SETTINGS]
    shared.append(["Pre-shared key read from", Cell(f"{esc(secret_words(link))}; never "
                                                    "written to <code>output/</code>")])
    return (f"### {md_text(names[0])} \u2194 {md_text(names[1])}\n\n"
            + table(headers, rows, "meshgen-vpn", row_headers=True) + "\n"
            + table(("Both ends", "Setting"), shared, "meshgen-vpn-shared", row_headers=True)
            + "\n")


def _usual(links: Sequence[VpnLink]) -> dict[str, str]:
    """The value most links have, for each setting (the first link's value on a tie)."""
    return {label: Counter(value(link) for link in links).most_common(1)[0][0]
            for label, value in SETTINGS}


def _differences(link: VpnLink, usual: dict[str, str]) -> str:
    return "; ".join(f"{label}: {value(link)}" for label, value in SETTINGS
                     if value(link) != usual[label])


def _psk(link: VpnLink) -> Cell:
    return Cell(f"{esc(link.psk.kind.value)} <code>{esc(link.psk.name)}</code>")


def _compact_table(t: Topology) -> str:
    usual = _usual(t.vpn)
    differing = {id(link): _differences(link, usual) for link in t.vpn}
    extra = any(differing.values())
    rows: list[list[Cell | str]] = []
    for number, link in enumerate(t.vpn, start=1):
        row: list[Cell | str] = [str(number), code(link.initiator), code(link.responder),
                                 _listens_on(t, link), _psk(link)]
        if extra:
            row.append(differing[id(link)])
        rows.append(row)
    headers = ["#", "Starts the tunnel", "Listens", "Connects to (remote.gateway)",
               "Pre-shared key read from"]
    if extra:
        headers.append("Settings that differ from the usual ones")
    return table(headers, rows, "meshgen-vpn-links", search=False)


def _compact(t: Topology) -> list[Part]:
    usual = _usual(t.vpn)
    shared: list[list[Cell | str]] = [[label, code(usual[label])] for label, _ in SETTINGS]
    return [f"{len(t.vpn):,} links, one row each. Each link's ends route their own cluster's "
            "ranges into the tunnel and reach the peer's (the two ends mirror each other); "
            "each cluster's page lists its links with the subnets of both ends, its Helm "
            "releases and files. Pre-shared keys are read when the runbook runs and never "
            "written to `output/`.\n\n"
            + table(("Usual setting", "Value"), shared, "meshgen-vpn-shared", row_headers=True)
            + "\n", partial(_compact_table, t)]


def vpn_section(t: Topology, files: Callable[[str, str], Cell | str]) -> list[Part]:
    """The overview's VPN section; ``files(cluster, peer)`` lists that end's files."""
    if not t.vpn:
        reason = (" (each cluster is its own network, joined by east-west gateways)"
                  if t.istio.network is NetworkMode.PER_CLUSTER else "")
        return [f"## VPN\n\nNo VPN links{reason}.\n\n"]
    if compact(t):
        return ["## VPN\n\n", *_compact(t)]
    intro = ("Each link is one strongSwan tunnel with a chart release at each end; the two "
             "ends mirror each other: one end's local subnets are the other's remote "
             "subnets.\n\n")
    return ["## VPN\n\n" + intro + "".join(_detailed_link(t, link, files) for link in t.vpn)]


def cluster_links(t: Topology, cluster: Cluster,
                  files: Callable[[str], Sequence[str]]) -> list[Part]:
    """Every link of ``cluster``, from its end; ``files(peer)`` gives that end's files, each
    as HTML."""
    count = len(t.links_of(cluster.name))
    return [f"{md_code(cluster.name)} routes its own subnets into every tunnel (local.subnet): "
            f"{md_code(cluster.service_cidr)} (services) and {md_code(cluster.pod_cidr)} "
            f"(pods). {count} link{'s' if count != 1 else ''}:\n\n",
            partial(_cluster_links_table, t, cluster, files)]


def _cluster_links_table(t: Topology, cluster: Cluster,
                         files: Callable[[str], Sequence[str]]) -> str:
    rows: list[list[Cell | str]] = []
    for link in t.links_of(cluster.name):
        peer = link.peer_of(cluster.name)
        starts = link.initiator == cluster.name
        listens_on = _listens_on(t, link)
        own = (code(cluster.vpn_gateway) if starts and cluster.vpn_gateway
               else listens_on if not starts else "not set")
        links = Cell("<br>".join(files(peer)) or "\u2014")
        rows.append([code(peer), "starts it (initiator)" if starts else "listens (responder)",
                     own, listens_on if starts else code("%any"), _subnets(t.cluster(peer)),
                     code(f"vpn-{peer}"), links])
    headers = ("Peer", "This end", "Its public address", "Connects to (remote.gateway)",
               "Peer's subnets (remote.subnet)", "Helm release", "Files")
    return table(headers, rows, "meshgen-vpn-links", search=False)
