"""The topology diagram: an inline SVG drawn here, so it needs no script and no network.

Clusters stand in a row, in topology order. Each box lists the cluster's ranges, VPN gateway,
Istio network and role, the ingress it hosts and the workloads placed on it. VPN links arc
above the boxes with the arrow pointing from the end that starts the tunnel to the end that
listens; below the boxes a dashed arc runs from each remote to the primary whose istiod drives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Cluster, Topology
from .markup import esc

BOX_WIDTH = 220
BOX_GAP = 70
MARGIN = 24
LINE_HEIGHT = 18
TITLE_HEIGHT = 26
CHAR_WIDTH = 7.2  # of 12px sans-serif text, generous so text stays inside its box
ARC_BASE = 46
ARC_STEP = 26
LABEL_ROOM = 34
KEY_WIDTH = 84
MIN_SCALE = 0.7
BULLET = "\u25aa"


@dataclass(frozen=True)
class _Line:
    text: str
    css: str
    key: str = ""
    """A label shown in its own column to the left of ``text``."""


@dataclass(frozen=True)
class _Arc:
    start: str
    end: str
    label: str
    css: str


def _fit(text: str, width: float) -> str:
    room = int(width // CHAR_WIDTH)
    return text if len(text) <= room else text[: max(room - 1, 1)] + "\u2026"


def _box_lines(t: Topology, cluster: Cluster) -> list[_Line]:
    lines = [_Line(f"{cluster.role.value} \u00b7 {cluster.provider}", "mg-sub")]
    lines.append(_Line(cluster.pod_cidr, "mg-cidr", "pods"))
    lines.append(_Line(cluster.service_cidr, "mg-cidr", "services"))
    if cluster.vpn_gateway:
        lines.append(_Line(cluster.vpn_gateway, "mg-cidr", "VPN gateway"))
    lines.append(_Line(cluster.network, "mg-text", "network"))
    if cluster.is_primary:
        lines.append(_Line("istiod: control plane", "mg-plane"))
    elif cluster.primary:
        lines.append(_Line(f"remote of {cluster.primary}", "mg-plane"))
    if cluster.east_west_ip:
        lines.append(_Line(cluster.east_west_ip, "mg-text", "east-west"))
    for app in t.apps:
        if app.ingress == cluster.name:
            lines.append(_Line(f"\u21e8 ingress for {app.name}", "mg-ingress"))
    for app in t.apps:
        placed = app.placed_in(cluster.name)
        if placed:
            lines.append(_Line(f"{app.name} (ns {app.namespace})", "mg-app"))
            lines.extend(_Line(w.name, "mg-workload", BULLET) for w in placed)
    return lines


def _vpn_arcs(t: Topology) -> list[_Arc]:
    return [_Arc(link.initiator, link.responder, f"IPsec \u00b7 {link.initiator} starts",
                 "mg-vpn") for link in t.vpn]


def _plane_arcs(t: Topology) -> list[_Arc]:
    return [_Arc(c.name, c.primary, f"{c.name} reports to {c.primary}", "mg-control")
            for c in t.remotes if c.primary and t.cluster(c.primary) is not None]


def _anchors(arcs: Sequence[_Arc], column: dict[str, int]) -> dict[tuple[int, str], float]:
    """Where each arc meets each box: spread along the edge, ordered by the far end."""
    ends: dict[str, list[tuple[int, int, str]]] = {}
    for i, arc in enumerate(arcs):
        for here, there in ((arc.start, arc.end), (arc.end, arc.start)):
            ends.setdefault(here, []).append((column[there], i, here))
    spots: dict[tuple[int, str], float] = {}
    for name, items in ends.items():
        left = MARGIN + column[name] * (BOX_WIDTH + BOX_GAP)
        for k, (_, i, _) in enumerate(sorted(items)):
            spots[(i, name)] = left + BOX_WIDTH * (k + 1) / (len(items) + 1)
    return spots


def _heights(arcs: Sequence[_Arc], column: dict[str, int]) -> list[float]:
    """Taller arcs for longer spans, and a step more for each arc already at that span."""
    seen: dict[int, int] = {}
    out: list[float] = []
    for arc in arcs:
        span = abs(column[arc.start] - column[arc.end])
        level = seen.get(span, 0)
        seen[span] = level + 1
        out.append(ARC_BASE + ARC_STEP * (span - 1) + ARC_STEP * level)
    return out


def _draw_arcs(arcs: Sequence[_Arc], column: dict[str, int], edge_y: float, upward: bool,
               parts: list[str]) -> None:
    """The arcs, then their labels, so that no line is drawn across a label."""
    spots = _anchors(arcs, column)
    sign = -1 if upward else 1
    labels = []
    for i, (arc, height) in enumerate(zip(arcs, _heights(arcs, column), strict=True)):
        x1, x2 = spots[(i, arc.start)], spots[(i, arc.end)]
        apex = edge_y + sign * height
        path = (f"M {x1:.1f} {edge_y:.1f} C {x1:.1f} {apex:.1f} {x2:.1f} {apex:.1f} "
                f"{x2:.1f} {edge_y:.1f}")
        dash = ' stroke-dasharray="6 4"' if arc.css == "mg-control" else ""
        parts.append(
            f'<path class="{arc.css}" d="{path}" fill="none" stroke="#546e7a" '
            f'stroke-width="2"{dash} marker-end="url(#mg-arrow)"><title>{esc(arc.label)}'
            "</title></path>")
        # A cubic with both control points at the apex height peaks at 3/4 of it.
        label_y = edge_y + sign * height * 0.75 + (-6 if upward else 16)
        labels.append(
            f'<text class="mg-label" x="{(x1 + x2) / 2:.1f}" y="{label_y:.1f}" '
            f'text-anchor="middle" font-size="12" fill="#37474f" stroke="#ffffff" '
            f'stroke-width="4" paint-order="stroke">{esc(arc.label)}</text>')
    parts.extend(labels)


def _draw_line(line: _Line, x: float, y: float, parts: list[str]) -> None:
    """One line of a box: an optional key (or bullet) column, then the text, cut to fit."""
    bullet = line.key == BULLET
    if line.key:
        parts.append(f'<text class="mg-key" x="{x + (12 if bullet else 0):.1f}" y="{y:.1f}" '
                     f'font-size="12" fill="#607d8b">{esc(line.key)}</text>')
    indent = 30 if bullet else KEY_WIDTH if line.key else 0
    shown = _fit(line.text, BOX_WIDTH - 24 - indent)
    tooltip = f"<title>{esc(line.text)}</title>" if shown != line.text else ""
    parts.append(f'<text class="{line.css}" x="{x + indent:.1f}" y="{y:.1f}" font-size="12" '
                 f'fill="#263238">{tooltip}{esc(shown)}</text>')


def _draw_box(cluster: Cluster, lines: Sequence[_Line], x: float, top: float, height: float,
              parts: list[str]) -> None:
    role = "mg-primary" if cluster.is_primary else "mg-remote"
    fill = "#e3f2fd" if cluster.is_primary else "#f1f8e9"
    parts.append(f'<g class="mg-cluster {role}" data-cluster="{esc(cluster.name)}">')
    parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{BOX_WIDTH}" height="{height:.1f}" '
                 f'rx="8" fill="{fill}" stroke="#455a64" stroke-width="1.5"/>')
    parts.append(f'<text class="mg-name" x="{x + 12:.1f}" y="{top + 20:.1f}" font-size="15" '
                 f'font-weight="bold" fill="#263238">'
                 f"{esc(_fit(cluster.name, BOX_WIDTH - 24))}</text>")
    for k, line in enumerate(lines):
        _draw_line(line, x + 12, top + TITLE_HEIGHT + LINE_HEIGHT * (k + 1) - 4, parts)
    parts.append("</g>")


def diagram_svg(t: Topology) -> str:
    """The diagram as one ``<svg>`` element; every text from the topology is escaped."""
    column = {c.name: i for i, c in enumerate(t.clusters)}
    vpn = [a for a in _vpn_arcs(t) if a.start in column and a.end in column]
    plane = _plane_arcs(t)
    boxes = {c.name: _box_lines(t, c) for c in t.clusters}
    tallest = max((len(lines) for lines in boxes.values()), default=0)
    box_height = TITLE_HEIGHT + LINE_HEIGHT * tallest + 16
    top_room = max(_heights(vpn, column), default=0) * 0.75 + LABEL_ROOM if vpn else 12
    bottom_room = max(_heights(plane, column), default=0) * 0.75 + LABEL_ROOM if plane else 12
    box_top = MARGIN + top_room
    width = MARGIN * 2 + len(t.clusters) * BOX_WIDTH + max(len(t.clusters) - 1, 0) * BOX_GAP
    height = box_top + box_height + bottom_room + MARGIN
    parts = [
        f'<svg class="meshgen-diagram" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        # Shrink to the page, but no further than text stays readable; then scroll.
        f'style="min-width: {width * MIN_SCALE:.0f}px" '
        f'font-family="sans-serif" aria-labelledby="mg-diagram-title">',
        f'<title id="mg-diagram-title">Topology {esc(t.name)}: {len(t.clusters)} clusters, '
        f"{len(t.vpn)} VPN links</title>",
        '<defs><marker id="mg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#546e7a"/></marker></defs>',
    ]
    for cluster in t.clusters:
        x = MARGIN + column[cluster.name] * (BOX_WIDTH + BOX_GAP)
        _draw_box(cluster, boxes[cluster.name], x, box_top, box_height, parts)
    _draw_arcs(vpn, column, box_top, True, parts)
    _draw_arcs(plane, column, box_top + box_height, False, parts)
    parts.append("</svg>")
    return "".join(parts)
