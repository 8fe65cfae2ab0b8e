"""The page of one topology: diagram, tables, traffic in words, runbook, files, validation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import groupby

from ..errors import Problem, dotted
from ..model import Cluster, NetworkMode, Topology, VpnLink
from ..targets import TARGETS
from ..targets.base import Step
from .committed import GeneratedFile, Status
from .diagram import diagram_svg
from .markup import (
    Cell,
    admonition,
    code,
    codes,
    esc,
    fence,
    md_code,
    md_text,
    one_line,
    table,
)
from .routes import describe_stage
from .sources import TopologyDoc

TOPOLOGY_TAB = "whole topology"


def summary_line(t: Topology) -> str:
    """``2 clusters · 1 VPN link · Istio 1.30.3 primary-remote on a flat network · ...``."""
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [count(len(t.clusters), "cluster"), count(len(t.vpn), "VPN link"),
             f"Istio {t.istio.version} {t.istio.model.value}, {t.istio.network.value} network",
             count(len(t.apps), "app"), count(len(t.traffic), "traffic stage")]
    return " \u00b7 ".join(parts)


# --- sections ---------------------------------------------------------------------------------


def _status(doc: TopologyDoc) -> str:
    out = doc.output
    shown = f"output/{doc.name}/"
    if doc.checked.errors:
        text = (f"{md_code(doc.display)} has {len(doc.checked.errors)} error(s), listed under "
                "[Validation](#validation); the tables below show what could be read.")
        return admonition("failure", "This topology does not validate", text)
    if out.status is Status.MISSING:
        return admonition(
            "warning", "Output not committed",
            f"`{shown}` does not exist. The files below were rendered in memory from the "
            "topology; run `meshgen build` and commit the result.")
    if out.status is Status.STALE:
        counts = Counter(d.kind for d in out.differences)
        tally = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        listing = "".join(f"    - {d.kind}: {md_code(d.path)}\n" for d in out.differences)
        return admonition(
            "warning", "Output is stale",
            f"`{shown}` differs from what `meshgen build` writes for this topology ({tally}). "
            "The files below are the committed ones; run `meshgen build` and commit the "
            f'result.\n\n??? note "Files that differ"\n\n{listing}')
    return (f"The files under [Files](#files) are the committed `{shown}`; they match "
            "what `meshgen build` writes for this topology.\n\n")


def _diagram(t: Topology) -> str:
    caption = []
    if t.vpn:
        caption.append("Arcs above the clusters are strongSwan IPsec links, pointing from the "
                       "end that starts the tunnel to the end that listens.")
    if any(c.primary for c in t.remotes):
        caption.append("Dashed arcs below run from each remote to the primary whose istiod "
                       "drives it.")
    figcaption = f"<figcaption>{' '.join(caption)}</figcaption>\n" if caption else ""
    return ("## Diagram\n\n"
            f'<figure class="meshgen-figure">\n{diagram_svg(t)}\n{figcaption}'
            "</figure>\n\n")


def _clusters(t: Topology) -> str:
    """One column per cluster, so ranges sit side by side however many clusters there are."""
    def row(label: str, value: Callable[[Cluster], Cell | str]) -> list[Cell | str]:
        return [label, *(value(c) for c in t.clusters)]

    rows = [
        row("Role", lambda c: c.role.value),
        row("Provider", lambda c: c.provider),
        row("kubectl context", lambda c: code(c.context)),
        row("Pod CIDR", lambda c: code(c.pod_cidr)),
        row("Service CIDR", lambda c: code(c.service_cidr)),
        row("VPN gateway", lambda c: code(c.vpn_gateway) if c.vpn_gateway else "\u2014"),
        row("Istio network", lambda c: code(c.network)),
        row("Control plane", lambda c: "istiod (control plane)" if c.is_primary
            else f"remote of {c.primary or '?'}"),
        row("Description", lambda c: c.description),
    ]
    headers: tuple[Cell | str, ...] = ("", *(code(c.name) for c in t.clusters))
    return ("## Clusters\n\n"
            + table(headers, rows, "meshgen-clusters", row_headers=True) + "\n")


def _subnets(cluster: Cluster | None) -> Cell:
    if cluster is None:
        return Cell("?")
    return Cell(f"<code>{esc(cluster.service_cidr)}</code> (services)<br>"
                f"<code>{esc(cluster.pod_cidr)}</code> (pods)")


def _values_file(doc: TopologyDoc, cluster: str, peer: str) -> Cell | str:
    candidates = doc.output.paths_under(f"{cluster}/vpn/{peer}/")
    return codes(candidates) if candidates else "\u2014"


def _vpn_link(doc: TopologyDoc, t: Topology, link: VpnLink) -> str:
    ends = (t.cluster(link.initiator), t.cluster(link.responder))
    names = (link.initiator, link.responder)

    def gateway(c: Cluster | None) -> Cell | str:
        return code(c.vpn_gateway) if c and c.vpn_gateway else "not set"

    listen = t.listen_address(link)
    listens_on = code(listen) if listen else "not set"
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
        ["Files", _values_file(doc, names[0], names[1]), _values_file(doc, names[1], names[0])],
    ]
    headers = ("", Cell(f"<code>{esc(names[0])}</code> (initiator)"),
               Cell(f"<code>{esc(names[1])}</code> (responder)"))
    shared: list[list[Cell | str]] = [
        ["IKE version", code(link.key_exchange)],
        ["IKE proposal", code(link.ike)],
        ["ESP proposal", code(link.esp)],
        ["Lifetimes (IKE / IPsec / margin)",
         codes((link.ike_lifetime, link.lifetime, link.margin_time), " / ")],
        ["Dead peer detection", Cell(f"<code>{esc(link.dpd_action)}</code> every "
                                     f"<code>{esc(link.dpd_delay)}</code>")],
        ["Close action", code(link.close_action)],
        ["Pre-shared key read from", Cell(f"{esc(_secret_words(link))}; never written to "
                                          "<code>output/</code>")],
    ]
    return (f"### {md_text(names[0])} \u2194 {md_text(names[1])}\n\n"
            + table(headers, rows, "meshgen-vpn", row_headers=True) + "\n"
            + table(("Both ends", "Setting"), shared, "meshgen-vpn-shared", row_headers=True)
            + "\n")


def _secret_words(link: VpnLink) -> str:
    if link.psk.kind == "env":
        return f"environment variable {link.psk.name} when the runbook runs"
    return f"file {link.psk.name} when the runbook runs"


def _vpn(doc: TopologyDoc, t: Topology) -> str:
    if not t.vpn:
        reason = (" (each cluster is its own network, joined by east-west gateways)"
                  if t.istio.network is NetworkMode.PER_CLUSTER else "")
        return f"## VPN\n\nNo VPN links{reason}.\n\n"
    intro = ("Each link is one strongSwan tunnel with a chart release at each end; the two "
             "ends mirror each other: one end's local subnets are the other's remote "
             "subnets.\n\n")
    return "## VPN\n\n" + intro + "".join(_vpn_link(doc, t, link) for link in t.vpn)


def _east_west_needed(t: Topology, c: Cluster) -> bool:
    if t.istio.legacy:
        return False
    return t.istio.network is NetworkMode.PER_CLUSTER or (
        c.is_primary and bool(t.remotes_of(c.name)))


def _address(t: Topology, c: Cluster) -> str:
    if c.is_primary:
        if t.istio.legacy and t.remotes_of(c.name):
            return "control plane pod IPs, read at install time for the remotes"
        if _east_west_needed(t, c):
            where = c.east_west_ip or "address read after the gateway is up"
            return f"east-west gateway: {where}"
        return "\u2014"
    primary = t.cluster(c.primary or "")
    if t.istio.legacy:
        return (f"remotePilotAddress and the other remote addresses: pod IPs in "
                f"{c.primary}'s istio-system, read at install time")
    target = primary.east_west_ip if primary and primary.east_west_ip else (
        f"{c.primary}'s east-west gateway address, read after it is up")
    text = f"remotePilotAddress: {target}"
    if _east_west_needed(t, c):
        text += f"; own east-west gateway: {c.east_west_ip or 'address read after it is up'}"
    return text


def _istio(t: Topology) -> str:
    i = t.istio
    install = ("Istio 1.0 install: remotes reach the control plane by pod IP" if i.legacy
               else "remotes reach istiod through the primary's east-west gateway")
    mesh: list[list[Cell | str]] = [
        ["Version", code(i.version)],
        ["Mesh ID", code(i.mesh_id)],
        ["Model", code(i.model.value)],
        ["Network", code(i.network.value)],
        ["Mutual TLS", code("strict" if i.mtls_strict else "permissive")],
        ["Install", install],
    ]
    rows: list[list[Cell | str]] = []
    for c in t.clusters:
        plane = "istiod runs here" if c.is_primary else f"istiod on {c.primary or '?'}"
        config = ("applied here" if c.is_primary else f"from {c.primary or '?'}")
        rows.append([code(c.name), c.role.value, plane, code(c.network), _address(t, c), config])
    headers = ("Cluster", "Role", "Control plane", "Network", "Addresses",
               "Istio config (VirtualServices, DestinationRules)")
    return ("## Istio\n\n" + table(("Mesh", "Setting"), mesh, "meshgen-istio-mesh",
                                   row_headers=True)
            + "\n" + table(headers, rows, "meshgen-istio") + "\n")


def _placement(t: Topology) -> str:
    if not t.apps:
        return "## Placement\n\nNo apps.\n\n"
    names = [c.name for c in t.clusters]
    rows: list[list[Cell | str]] = []
    for app in t.apps:
        rows.append([Cell(f"<strong>{esc(app.name)}</strong> (namespace "
                          f"<code>{esc(app.namespace)}</code>)"), *("" for _ in names)])
        for workload in app.workloads:
            running = set(app.clusters_running(workload))
            cells = [Cell('<span class="mg-yes" title="runs here">\u2714</span>')
                     if n in running else "" for n in names]
            label = code(workload) if running else Cell(
                f"<code>{esc(workload)}</code> (not placed)")
            rows.append([label, *cells])
        if app.ingress:
            rows.append([Cell("<em>ingress gateway</em>"),
                         *(Cell('<span class="mg-yes" title="ingress here">\u2714</span>')
                           if n == app.ingress else "" for n in names)])
    headers: tuple[Cell | str, ...] = ("Workload", *(code(n) for n in names))
    return ("## Placement\n\nWhich workload runs in which cluster.\n\n"
            + table(headers, rows, "meshgen-placement", row_headers=True) + "\n")


def _traffic(doc: TopologyDoc, t: Topology) -> str:
    if not t.traffic:
        return "## Traffic stages\n\nNo traffic stages.\n\n"
    parts = ["## Traffic stages\n\nApplied in turn to the config cluster"
             f"{'s' if len(t.primaries) != 1 else ''} "
             + ", ".join(f"`{c.name}`" for c in t.primaries) + ".\n\n"]
    for number, stage in enumerate(t.traffic, start=1):
        parts.append(f"### {number}. {md_text(stage.name)}\n\n")
        if stage.description:
            parts.append(f"{md_text(one_line(stage.description))}\n\n")
        parts.extend(f"- {md_text(sentence)}\n" for sentence in describe_stage(t, stage))
        files = [f.path for f in doc.output.files
                 if "/traffic/" in f.path and f.path.endswith(f"-{stage.name}.yaml")]
        if files:
            parts.append("\nFile: " + ", ".join(md_code(p) for p in files) + "\n")
        parts.append("\n")
    return "".join(parts)


def runbook_steps(t: Topology) -> list[Step]:
    steps = [s for target in TARGETS for s in target.steps(t)]
    return sorted(steps, key=lambda s: s.phase)  # stable: a phase keeps its targets' order


def _runbook(doc: TopologyDoc, t: Topology) -> str:
    head = "## Runbook\n\n"
    if not doc.checked.valid:
        return head + "The runbook is made once the topology validates.\n\n"
    steps = runbook_steps(t)
    if doc.output.has("apply.sh"):
        head += "`apply.sh` runs these steps in order; each can also be run by hand.\n\n"
    if not steps:
        return head + "No steps yet.\n\n"
    parts = [head]
    for number, step in enumerate(steps, start=1):
        cluster = t.cluster(step.cluster or "")
        where = f" \u2014 on {md_code(cluster.context)} ({cluster.name})" if cluster else ""
        later = " *(later stage, run when ready)*" if step.optional else ""
        parts.append(f"**{number}. {md_text(step.title)}**{where}{later}\n\n")
        parts.extend(f"- {md_text(one_line(note))}\n" for note in step.notes)
        if step.notes:
            parts.append("\n")
        if step.commands:
            parts.append(fence("\n".join(step.commands), "bash"))
        parts.append("\n")
    return "".join(parts)


def _groups(doc: TopologyDoc, t: Topology | None) -> list[tuple[str, list[GeneratedFile]]]:
    order = {c.name: i for i, c in enumerate(t.clusters)} if t else {}
    # Cluster folders in topology order, then any other folder, then the files of the whole
    # topology (apply.sh, MANIFEST.json).
    keyed = sorted(doc.output.files,
                   key=lambda f: (f.group == "", order.get(f.group, len(order)), f.group))
    return [(group, list(files)) for group, files in groupby(keyed, key=lambda f: f.group)]


def _files(doc: TopologyDoc, t: Topology | None) -> str:
    out = doc.output
    if not out.files:
        return "## Files\n\nNothing is committed and nothing could be rendered.\n\n"
    where = ("rendered in memory (not committed)" if out.status is Status.MISSING
             else f"committed in `output/{doc.name}/`")
    parts = [f"## Files\n\n{len(out.files)} files, {where}, one tab per cluster.\n\n"]
    for group, files in _groups(doc, t):
        label = md_text(group) if group else TOPOLOGY_TAB
        parts.append(f'=== "{label}"\n\n')
        for f in files:
            parts.append(f'    <span class="meshgen-kind">{esc(f.kind)}</span>\n\n')
            parts.append(fence(f.text, f.language, f.path, indent="    "))
            parts.append("\n")
    return "".join(parts)


def _problem_row(p: Problem) -> list[Cell | str]:
    where = str(p.location) if p.location else ""
    return [p.severity.value, code(where) if where else "",
            code(dotted(p.path)) if p.path else "", code(p.rule),
            Cell(esc(p.message) + (f"<br><em>hint:</em> {esc(p.hint)}" if p.hint else ""))]


def _validation(doc: TopologyDoc) -> str:
    head = "## Validation\n\n"
    command = md_code(f"meshgen validate {doc.display}")
    problems = doc.checked.problems
    if not problems:
        return head + admonition("success", "Valid", f"{command}: no errors, no warnings.")
    errors = len(doc.checked.errors)
    warnings = len(problems) - errors
    verdict = "invalid" if errors else "valid with warnings"
    return (head + f"{command}: {verdict} ({errors} error(s), {warnings} warning(s)).\n\n"
            + table(("Severity", "Where", "Field", "Rule", "Problem"),
                    (_problem_row(p) for p in problems), "meshgen-problems") + "\n")


def topology_page(doc: TopologyDoc) -> str:
    t = doc.checked.topology
    parts = [f"# {md_text(doc.name)}\n\n"]
    if t is not None and t.description:
        parts.append(f'<p class="meshgen-lede">{esc(one_line(t.description))}</p>\n\n')
    parts.append(f"Source: {md_code(doc.display)}")
    if t is not None:
        parts.append(f" \u00b7 {md_text(summary_line(t))}")
    parts.append("\n\n")
    parts.append(_status(doc))
    if t is not None:
        parts += [_diagram(t), _clusters(t), _vpn(doc, t), _istio(t), _placement(t),
                  _traffic(doc, t), _runbook(doc, t)]
    parts += [_files(doc, t), _validation(doc)]
    return "".join(parts)
