"""The overview page of one topology: diagram, tables, traffic in words, runbook, the pages of
its files, validation.

Every section has a form that stays readable with hundreds of clusters: past
:data:`WIDE_CLUSTERS` the diagram becomes a matrix and the cluster and placement tables turn to
one row per cluster or workload; many VPN links get one compact row each. The runbook is
summarised by phase, its steps on a page of their own; the generated files are on their own
pages, one per cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial

from ..errors import Problem, dotted
from ..model import Cluster, ControlPlanePath, Topology
from ..targets import meshcheck
from ..targets.istio.objects import ISTIOD_VPN_NAME
from ..text import one_line
from .committed import Status
from .deferred import Deferred, Part
from .diagram import diagram_svg
from .files_pages import FilesPage, differences_listing, file_cell, files_pages
from .layout import Limits, Links, overview_uri, relative_md, runbook_uri
from .markup import (
    Cell,
    admonition,
    code,
    esc,
    md_code,
    md_table,
    md_text,
    size_words,
    table,
)
from .matrix import matrix_svg
from .routes import describe_stage
from .runbook_section import phase_summary
from .sources import TopologyDoc
from .vpn_section import vpn_section

WIDE_CLUSTERS = 8
"""More clusters than this: a matrix diagram, and tables with one row per cluster."""
LISTED_PROBLEMS = 200


def summary_line(t: Topology) -> str:
    """``2 clusters · 1 VPN link · Istio 1.30.3 primary-remote on a flat network · ...``."""
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = [count(len(t.clusters), "cluster"), count(len(t.vpn), "VPN link"),
             f"Istio {t.istio.version} {t.istio.model.value}, {t.istio.network.value} network",
             count(len(t.apps), "app"), count(len(t.traffic), "traffic stage")]
    return " \u00b7 ".join(parts)


def wide(t: Topology) -> bool:
    return len(t.clusters) > WIDE_CLUSTERS


class _Pages:
    """The files pages of one topology, and links to them from the overview."""

    def __init__(self, links: Links, pages: Sequence[FilesPage]) -> None:
        self.links = links
        self.all = pages
        self.by_folder = {p.folder: p for p in pages}

    def cluster_name(self, name: str) -> Cell:
        """``name`` in code, linked to its cluster's page when it has one."""
        page = self.by_folder.get(name)
        if page is None:
            return code(name)
        return Cell(f'<a href="{esc(self.links.page(page.src_uri))}"><code>{esc(name)}</code>'
                    "</a>")

    def file_links(self, folder: str, paths: tuple[str, ...]) -> Cell | str:
        page = self.by_folder.get(folder)
        if page is None or not paths:
            return "\u2014"
        return Cell("<br>".join(file_cell(page, p, self.links) for p in paths))


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
            f"`{shown}` does not exist. The files listed under [Files](#files) were rendered "
            "in memory from the topology; run `meshgen build` and commit the result.")
    if out.status is Status.STALE:
        counts = Counter(d.kind for d in out.differences)
        tally = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        listing = differences_listing([(d.path, d.kind) for d in out.differences],
                                      "marked on the pages of their folders")
        return admonition(
            "warning", "Output is stale",
            f"`{shown}` differs from what `meshgen build` writes for this topology ({tally}). "
            "The files shown are the committed ones; run `meshgen build` and commit the "
            f'result.\n\n??? note "Files that differ"\n\n{listing}')
    return (f"The files under [Files](#files) are the committed `{shown}`; they match "
            "what `meshgen build` writes for this topology.\n\n")


def _diagram(t: Topology) -> str:
    if wide(t):
        caption = (f"{len(t.clusters)} clusters are too many to draw side by side, so each "
                   "row and column is a cluster, in topology order. A dark cell: the row's "
                   "cluster starts a strongSwan IPsec tunnel to the column's. The diagonal "
                   "gives each cluster's role; a ring marks the primary whose istiod drives "
                   "a remote. Hover a row for its counts; the tables below give the detail.")
        svg = matrix_svg(t)
    else:
        words = []
        if t.vpn:
            words.append("Arcs above the clusters are strongSwan IPsec links, pointing from "
                         "the end that starts the tunnel to the end that listens.")
        if any(c.primary for c in t.remotes):
            words.append("Dashed arcs below run from each remote to the primary whose istiod "
                         "drives it, labelled with the way the remote reaches istiod.")
        caption = " ".join(words)
        svg = diagram_svg(t)
    figcaption = f"<figcaption>{esc(caption)}</figcaption>\n" if caption else ""
    return f'## Diagram\n\n<figure class="meshgen-figure">\n{svg}\n{figcaption}</figure>\n\n'


ClusterField = tuple[str, Callable[[Cluster], Cell | str]]
CLUSTER_FIELDS: tuple[ClusterField, ...] = (
    ("Role", lambda c: c.role.value),
    ("Provider", lambda c: c.provider),
    ("kubectl context", lambda c: code(c.context)),
    ("Pod CIDR", lambda c: code(c.pod_cidr)),
    ("Service CIDR", lambda c: code(c.service_cidr)),
    ("VPN gateway", lambda c: code(c.vpn_gateway) if c.vpn_gateway else "\u2014"),
    ("Istio network", lambda c: code(c.network)),
    ("Control plane", lambda c: "istiod (control plane)" if c.is_primary
     else f"remote of {c.primary or '?'}"),
    ("Description", lambda c: c.description),
)


def _clusters(t: Topology, pages: _Pages) -> str:
    """One column per cluster while they fit side by side, else one row per cluster; a field
    no cluster fills (a description, say) is left out."""
    fields = [(label, value) for label, value in CLUSTER_FIELDS
              if any(value(c) != "" for c in t.clusters)]
    if wide(t):
        rows = [[pages.cluster_name(c.name), *(value(c) for _, value in fields)]
                for c in t.clusters]
        headers = ("Cluster", *(label for label, _ in fields))
        body = table(headers, rows, "meshgen-clusters meshgen-rows", row_headers=True)
    else:
        columns = [[label, *(value(c) for c in t.clusters)] for label, value in fields]
        names: tuple[Cell | str, ...] = ("", *(pages.cluster_name(c.name) for c in t.clusters))
        body = table(names, columns, "meshgen-clusters", row_headers=True)
    return "## Clusters\n\n" + body + "\n"


def _address(t: Topology, c: Cluster) -> str:
    if c.is_primary:
        if t.istio.legacy and t.has_remotes(c):
            return "control plane pod IPs, read at install time for the remotes"
        parts = []
        if t.reaches_istiod_over_vpn(c):
            parts.append(f"istiod for the remotes: cluster IP of {ISTIOD_VPN_NAME} in "
                         f"{c.service_cidr}, read at install time")
        if t.has_eastwest_gateway(c):
            where = c.east_west_ip or "address read after the gateway is up"
            parts.append(f"east-west gateway: {where}")
        return "; ".join(parts) or "\u2014"
    primary = t.cluster(c.primary or "")
    if t.istio.legacy:
        return (f"remotePilotAddress and the other remote addresses: pod IPs in "
                f"{c.primary}'s istio-system, read at install time")
    if t.istio.path is ControlPlanePath.VPN:
        target = (f"cluster IP of {ISTIOD_VPN_NAME} on {c.primary}, read at install time")
    else:
        target = primary.east_west_ip if primary and primary.east_west_ip else (
            f"{c.primary}'s east-west gateway address, read after it is up")
    text = f"remotePilotAddress: {target}"
    if t.has_eastwest_gateway(c):
        text += f"; own east-west gateway: {c.east_west_ip or 'address read after it is up'}"
    return text


def control_plane_sentence(t: Topology) -> str:
    """How remotes reach istiod, in one sentence: the path, its address and its ports."""
    i = t.istio
    if i.legacy:
        return ("Istio 1.0 install: each remote reaches the control plane by the pod IPs of "
                "its primary's pilot, policy, telemetry, statsd and zipkin pods, read when "
                "apply.sh runs and carried by their VPN link; they change when a pod restarts.")
    if not any(t.has_remotes(c) for c in t.primaries):
        return "Every cluster runs its own istiod: no remote reaches one elsewhere."
    if i.path is ControlPlanePath.VPN:
        return ("Each remote reaches istiod inside the VPN, at an IP (a hostname would break "
                "injection, istio/istio#45014): the cluster IP of Service "
                f"{ISTIOD_VPN_NAME} on its primary, read when apply.sh runs and inside the "
                "primary's service range, which their VPN link carries, serves the remote's "
                "sidecars on port 15012 and, through the remote's own istiod Service, its API "
                "server's injection webhook on 15017.")
    return ("Each remote reaches istiod through its primary's public east-west gateway, at the "
            "IP of the gateway's load balancer (a hostname would break injection, "
            "istio/istio#45014): expose-istiod passes the remote's sidecars through on port "
            "15012 and, through the remote's own istiod Service, its API server's injection "
            "webhook on 15017 (controlPlanePath: eastwest-gateway).")


def _istio(t: Topology, pages: _Pages) -> str:
    i = t.istio
    mesh: list[list[Cell | str]] = [
        ["Version", code(i.version)],
        ["Mesh ID", code(i.mesh_id)],
        ["Model", code(i.model.value)],
        ["Network", code(i.network.value)],
        ["Mutual TLS", code(i.mtls.value)],
        ["Control plane path", control_plane_sentence(t)],
    ]
    rows: list[list[Cell | str]] = []
    for c in t.clusters:
        plane = "istiod runs here" if c.is_primary else f"istiod on {c.primary or '?'}"
        config = ("applied here" if c.is_primary else f"from {c.primary or '?'}")
        rows.append([pages.cluster_name(c.name), c.role.value, plane, code(c.network),
                     _address(t, c), config])
    headers = ("Cluster", "Role", "Control plane", "Network", "Addresses",
               "Istio config (VirtualServices, DestinationRules)")
    return ("## Istio\n\n" + table(("Mesh", "Setting"), mesh, "meshgen-istio-mesh",
                                   row_headers=True)
            + "\n" + table(headers, rows, "meshgen-istio") + "\n")


TICK = Cell('<span class="mg-yes" title="runs here">\u2714</span>')
INGRESS_TICK = Cell('<span class="mg-yes" title="ingress here">\u2714</span>')


def _app_label(name: str, namespace: str) -> Cell:
    return Cell(f"<strong>{esc(name)}</strong> (namespace <code>{esc(namespace)}</code>)")


def _placement_matrix(t: Topology, pages: _Pages) -> str:
    names = [c.name for c in t.clusters]
    rows: list[list[Cell | str]] = []
    for app in t.apps:
        rows.append([_app_label(app.name, app.namespace), *("" for _ in names)])
        for workload in app.workloads:
            running = set(app.clusters_running(workload))
            label = code(workload) if running else Cell(
                f"<code>{esc(workload)}</code> (not placed)")
            rows.append([label, *(TICK if n in running else "" for n in names)])
        if app.ingress:
            rows.append([Cell("<em>ingress gateway</em>"),
                         *(INGRESS_TICK if n == app.ingress else "" for n in names)])
    headers: tuple[Cell | str, ...] = ("Workload", *(pages.cluster_name(n) for n in names))
    return table(headers, rows, "meshgen-placement", row_headers=True)


def _placement_list(t: Topology) -> str:
    rows: list[list[Cell | str]] = []
    for app in t.apps:
        rows.append([_app_label(app.name, app.namespace), ""])
        for workload in app.workloads:
            running = app.clusters_running(workload)
            where = (Cell(", ".join(f"<code>{esc(n)}</code>" for n in running)) if running
                     else "not placed")
            rows.append([code(workload), where])
        if app.ingress:
            rows.append([Cell("<em>ingress gateway</em>"), code(app.ingress)])
    return table(("Workload", "Runs in"), rows, "meshgen-placement meshgen-rows",
                 row_headers=True, search=False)


def _placement(t: Topology, pages: _Pages) -> list[Part]:
    if not t.apps:
        return ["## Placement\n\nNo apps.\n\n"]
    if wide(t):
        return ["## Placement\n\nWhich workload runs in which cluster (one row per workload: "
                f"{len(t.clusters)} clusters are too many for a column each).\n\n",
                partial(_placement_list, t)]
    return ["## Placement\n\nWhich workload runs in which cluster.\n\n"
            + _placement_matrix(t, pages) + "\n"]


def _traffic(doc: TopologyDoc, t: Topology) -> str:
    if not t.traffic:
        return "## Traffic stages\n\nNo traffic stages.\n\n"
    parts = ["## Traffic stages\n\nApplied in turn to the config cluster"
             f"{'s' if len(t.primaries) != 1 else ''} "
             + ", ".join(md_code(c.name) for c in t.primaries) + ".\n\n"]
    stage_files: dict[str, list[str]] = {}
    for f in doc.output.files:
        if "/traffic/" in f.path:
            stage_files.setdefault(f.path.rpartition("/")[2], []).append(f.path)
    for number, stage in enumerate(t.traffic, start=1):
        parts.append(f"### {number}. {md_text(stage.name)}\n\n")
        if stage.description:
            parts.append(f"{md_text(one_line(stage.description))}\n\n")
        parts.extend(f"- {md_text(sentence)}\n" for sentence in describe_stage(t, stage))
        files = [p for name, paths in stage_files.items()
                 if name.endswith(f"-{stage.name}.yaml") for p in paths]
        if files:
            parts.append("\nFile: " + ", ".join(md_code(p) for p in files) + "\n")
        parts.append("\n")
    return "".join(parts)


def _runbook(doc: TopologyDoc, links: Links) -> str:
    """The runbook by phase; its steps and their commands are on a page of their own."""
    head = "## Runbook\n\n"
    if not doc.checked.valid:
        return head + "The runbook is made once the topology validates.\n\n"
    steps = doc.steps
    if not steps:
        return head + "No steps yet.\n\n"
    page = links.page(runbook_uri(doc.slug))
    return (head + f"`apply.sh` runs {len(steps):,} steps in order, by phase as below. Every "
            f"step, with the cluster it runs against and its commands, is on the "
            f'<a href="{esc(page)}">runbook page</a>.\n\n' + phase_summary(steps) + "\n"
            + (verify_paragraph(doc.topology) + "\n\n" if doc.topology else ""))


def verify_paragraph(t: Topology) -> str:
    """What ``apply.sh --verify`` checks once the mesh is up."""
    if t.istio.legacy:
        return ("`./apply.sh --verify`, once everything is up, runs the VPN checks again; "
                "Istio 1.0 has no multicluster check of its own.")
    vpn = "runs the VPN checks again, then " if t.vpn else ""
    placed = meshcheck.placed_versions(t)
    where = " and ".join(f"{v} on {md_text(c)}" for c, v in placed.items())
    return (f"`./apply.sh --verify`, once everything is up, {vpn}follows Istio's own "
            "\"Verify the installation\": on every primary, `istioctl remote-clusters` must "
            "list each other cluster as synced; the helloworld and curl samples of Istio "
            f"{md_text(t.istio.version)}, from the unpacked release named by "
            f"`{meshcheck.RELEASE_VARIABLE}`, go into namespace `{meshcheck.NAMESPACE}` of "
            f"every cluster (helloworld {where}); from each cluster, curl calls "
            f"`{meshcheck.URL}` until every version has answered, at most "
            f"{meshcheck.CURL_TRIES} times, {meshcheck.PAUSE_SECONDS} seconds apart, or the "
            "check fails with what answered; then the samples are removed.")


def _files(doc: TopologyDoc, pages: _Pages) -> str:
    out = doc.output
    if not out.files:
        return "## Files\n\nNothing is committed and nothing could be rendered.\n\n"
    where = ("rendered in memory (not committed)" if out.status is Status.MISSING
             else f"committed in `output/{doc.name}/`")
    total = size_words(sum(f.size for f in out.files))
    here = overview_uri(doc.slug)
    differing = Counter(d.path.partition("/")[0] if "/" in d.path else ""
                        for d in out.differences)
    rows = []
    for page in pages.all:
        row = [f"[{md_text(page.title)}]({relative_md(here, page.src_uri)})",
               str(len(page.files)), md_text(size_words(sum(f.size for f in page.files)))]
        if differing:
            row.append(str(differing.get(page.folder, 0)))
        rows.append(row)
    headers = ["Page", "Files", "Size", *(("Differ",) if differing else ())]
    return (f"## Files\n\n{len(out.files):,} files ({total}), {where}. Each cluster's "
            "files are on a page of their own, highlighted, with a copy button; files of "
            "the whole topology have one more page.\n\n" + md_table(headers, rows) + "\n")


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
    listed = problems[:LISTED_PROBLEMS]
    more = (f"The first {len(listed)} are listed; {command} prints all "
            f"{len(problems)}.\n\n" if len(listed) < len(problems) else "")
    return (head + f"{command}: {verdict} ({errors} error(s), {warnings} warning(s)).\n\n"
            + more + table(("Severity", "Where", "Field", "Rule", "Problem"),
                           (_problem_row(p) for p in listed), "meshgen-problems") + "\n")


def topology_page(doc: TopologyDoc, links: Links | None = None,
                  limits: Limits | None = None,
                  files: Sequence[FilesPage] | None = None) -> Deferred:
    """The overview's Markdown, its longest tables left as blocks made when it is written;
    ``links`` resolves links from it (plain ``.html`` URLs by default, as MkDocs makes them
    for this project), ``limits`` are those of the pages of files it links to and ``files``
    those pages, when they are already made."""
    t = doc.checked.topology
    if files is None:
        files = files_pages(doc, limits or Limits())
    pages = _Pages(links or Links.plain(overview_uri(doc.slug)), files)
    parts: list[Part] = [f"# {md_text(doc.name)}\n\n"]
    if t is not None and t.description:
        parts.append(f'<p class="meshgen-lede">{esc(one_line(t.description))}</p>\n\n')
    parts.append(f"Source: {md_code(doc.display)}")
    if t is not None:
        parts.append(f" \u00b7 {md_text(summary_line(t))}")
    parts.append("\n\n")
    parts.append(_status(doc))
    if t is not None:
        def vpn_files(cluster: str, peer: str) -> Cell | str:
            return pages.file_links(cluster, doc.output.paths_under(f"{cluster}/vpn/{peer}/"))

        parts += [_diagram(t), _clusters(t, pages), *vpn_section(t, vpn_files),
                  _istio(t, pages), *_placement(t, pages), _traffic(doc, t),
                  _runbook(doc, pages.links)]
    parts += [_files(doc, pages), _validation(doc)]
    page = Deferred()
    page.extend(parts)
    return page
