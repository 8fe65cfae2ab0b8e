"""The VPN on the pages: both ends of each link side by side, or, for many links, one compact
row per link on the overview and each cluster's links in full on that cluster's page. A link
set is shown as written, one row per set, with its links one click away."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial

from ..errors import dotted
from ..model import (
    Cluster,
    LinkSet,
    NetworkMode,
    SecretKind,
    SecretRef,
    SetForm,
    Starts,
    Topology,
    VpnLink,
)
from ..model.linksets import fills_in
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


def _detailed_link(t: Topology, link: VpnLink, files: Callable[[str, str], Cell | str],
                   heading: str = "###") -> str:
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
    return (f"{heading} {md_text(names[0])} \u2194 {md_text(names[1])}\n\n"
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


def _compact_table(t: Topology, links: Sequence[VpnLink] | None = None) -> str:
    shown = t.vpn if links is None else links
    usual = _usual(shown)
    differing = {id(link): _differences(link, usual) for link in shown}
    extra = any(differing.values())
    rows: list[list[Cell | str]] = []
    for number, link in enumerate(shown, start=1):
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


_STARTS = {
    Starts.FIRST: "the earlier cluster of each pair",
    Starts.BALANCED: "balanced: each cluster about half of its links",
    Starts.SPOKES: "the spokes",
    Starts.HUBS: "the hubs",
}


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def set_words(s: LinkSet) -> str:
    """``full mesh of 12 clusters, 66 links, keys PSK_<a>_<b>``."""
    if s.form is SetForm.FULL_MESH:
        what = f"full mesh of {_count(len(s.members), 'cluster')}"
    else:
        hubs = [n for n in s.members if n in s.hubs]
        what = (f"hub and spoke: {_count(len(hubs), 'hub')} "
                f"({', '.join(hubs)}), {_count(len(s.members) - len(hubs), 'spoke')}")
    kind = "" if s.psk.is_env else "in files "
    keys = (f"keys {kind}{s.psk.name}" if fills_in(s.psk)
            else f"one key for all ({s.psk.kind.value} {s.psk.name})")
    n = len(s.replaced)
    replaced = (f" ({n:,} replaced by {'a link' if n == 1 else 'links'} written on "
                f"{'its' if n == 1 else 'their'} own)" if n else "")
    return f"{what}, {_count(s.planned, 'link')}{replaced}, {keys}"


def _sets(t: Topology) -> list[Part]:
    alone = sum(1 for link in t.vpn if not link.from_set)
    intro = (f"Written as {_count(len(t.link_sets), 'link set')}"
             + (f" and {_count(alone, 'link')} on {'its' if alone == 1 else 'their'} own"
                if alone else "")
             + f", {_count(len(t.vpn), 'link')} in all. Each link is one strongSwan tunnel with "
             "a chart release at each end; each cluster's page lists its links with the "
             "subnets of both ends, its Helm releases and files. Pre-shared keys are read when "
             "the runbook runs and never written to `output/`.\n\n")
    rows: list[list[Cell | str]] = []
    for s in t.link_sets:
        entry = dotted(s.at)
        target = f"vpn-set-{s.at[-1]}"
        rows.append([code(entry),
                     Cell(f'{esc(set_words(s))} \u00b7 <a href="#{target}">the links</a>'),
                     _STARTS[s.starts],
                     _differences(s.template, _DEFAULTS) or "the defaults"])
    parts: list[Part] = [intro + table(("Entry", "Link set", "Starts the tunnels",
                                        "Settings of its links"), rows, "meshgen-vpn-sets")
                         + "\n"]
    parts += [partial(_set_links, t, s) for s in t.link_sets]
    return parts


_DEFAULTS = {label: value(VpnLink("", "", SecretRef(SecretKind.ENV, ""))) for label, value
             in SETTINGS}


def _set_links(t: Topology, s: LinkSet) -> str:
    """The links a set made, folded away under one summary line."""
    links = t.links_of_set(s)
    entry = dotted(s.at)
    body = _compact_table(t, links) if links else "<p>No links.</p>\n"
    return (f'<details class="note meshgen-set" id="vpn-set-{s.at[-1]}">\n<summary>'
            f"<code>{esc(entry)}</code>: the {_count(len(links), 'link')} the "
            f"{esc(s.form.value)} makes</summary>\n{body}</details>\n")


def vpn_section(t: Topology, files: Callable[[str, str], Cell | str]) -> list[Part]:
    """The overview's VPN section; ``files(cluster, peer)`` lists that end's files."""
    if t.link_sets:
        alone = [link for link in t.vpn if not link.from_set]
        return ["## VPN\n\n", *_sets(t), *_alone(t, alone, files)]
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


def _alone(t: Topology, links: Sequence[VpnLink],
           files: Callable[[str, str], Cell | str]) -> list[Part]:
    """The links written on their own beside the sets."""
    if not links:
        return []
    head = "### Links written on their own\n\n"
    if len(links) > DETAILED_LINKS:
        return [head, partial(_compact_table, t, links)]
    return [head + "".join(_detailed_link(t, link, files, "####") for link in links)]


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
