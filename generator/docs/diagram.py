"""The topology diagram: an inline SVG drawn here, so it needs no script and no network.

Clusters stand in a row, in topology order. Each box lists the cluster's ranges, VPN gateway,
Istio network and role, the ingress it hosts and the workloads placed on it. VPN links run
above the boxes with the arrow pointing from the end that starts the tunnel to the end that
listens; below the boxes a dashed line runs from each remote to the primary whose istiod drives
it, labelled with the way the remote reaches istiod (over the VPN, or through the east-west
gateway).

Edges are laid out so that nothing hides anything (a test measures the drawn boxes): each edge
leaves its box straight up (or down) from a point on the box's edge, runs along a lane of its
own height above (or below) every box, and comes straight back down to the other box. Edges
share a lane only where they do not overlap. Vertical strokes therefore stand over boxes only,
never in the gaps between them, and each label sits on its own edge's lane, in a stretch of it
that no other edge's vertical stroke crosses (every gap between two boxes the edge spans is such
a stretch). A new kind of edge is a new list of :class:`_Arc` values drawn on either side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..model import Cluster, ControlPlanePath, Topology
from .markup import esc

BOX_WIDTH = 220
BOX_GAP = 90
MARGIN = 24
LINE_HEIGHT = 18
TITLE_HEIGHT = 26
CHAR_WIDTH = 7.2  # of 12px sans-serif text, generous so text stays inside its box
LABEL_CHAR_WIDTH = 6.6  # of the 11px labels on edges
LABEL_HEIGHT = 14
LABEL_PAD = 6
"""Clear space between a label and the nearest stroke beside it."""
LANE_STEP = 20
"""Between two lanes: a label's height and some air."""
FIRST_LANE = 22
"""From a box's edge to the nearest lane."""
ANCHOR_INSET = 36
"""Edges leave a box no nearer its corners than this, so the gaps stay free of strokes."""
CORNER = 5
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


@dataclass(frozen=True)
class _Placed:
    """An edge laid out: where it leaves and meets its boxes, its lane, its label."""

    arc: _Arc
    x1: float
    x2: float
    lane: int
    label_x: float
    label: str
    """The label as drawn: cut to the room it has, the whole of it in the edge's tooltip."""


def _fit(text: str, width: float, char_width: float = CHAR_WIDTH) -> str:
    room = int(width // char_width)
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


def _plane_path(t: Topology) -> str:
    """How remotes reach istiod, in the words of the control plane's arcs."""
    if t.istio.legacy:
        return "by pod IP over the VPN"
    if t.istio.path is ControlPlanePath.VPN:
        return "over the VPN"
    return "through its east-west gateway"


def _plane_arcs(t: Topology) -> list[_Arc]:
    path = _plane_path(t)
    return [_Arc(c.name, c.primary, f"{c.name} reaches istiod on {c.primary} {path}",
                 "mg-control")
            for c in t.remotes if c.primary and t.cluster(c.primary) is not None]


# --- layout ----------------------------------------------------------------------------------


def _left(column: int) -> float:
    return MARGIN + column * (BOX_WIDTH + BOX_GAP)


def _anchors(arcs: Sequence[_Arc], column: dict[str, int]) -> dict[tuple[int, str], float]:
    """Where each edge meets each box: spread along the middle of the edge of the box,
    ordered by the far end so that edges to the left leave on the left."""
    ends: dict[str, list[tuple[int, int]]] = {}
    for i, arc in enumerate(arcs):
        for here, there in ((arc.start, arc.end), (arc.end, arc.start)):
            ends.setdefault(here, []).append((column[there], i))
    spots: dict[tuple[int, str], float] = {}
    room = BOX_WIDTH - 2 * ANCHOR_INSET
    for name, items in ends.items():
        left = _left(column[name]) + ANCHOR_INSET
        for k, (_, i) in enumerate(sorted(items)):
            spots[(i, name)] = left + room * (k + 0.5) / len(items)
    return spots


def _lanes(spans: Sequence[tuple[float, float]]) -> list[int]:
    """A lane for each span: shorter spans nearer the boxes, and a lane shared only by spans
    that stay clear of each other."""
    lanes = [0] * len(spans)
    taken: list[list[tuple[float, float]]] = []
    for i in sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], i)):
        low, high = spans[i]
        for lane, used in enumerate(taken):
            if all(high + LABEL_PAD < a or low - LABEL_PAD > b for a, b in used):
                used.append((low, high))
                lanes[i] = lane
                break
        else:
            taken.append([(low, high)])
            lanes[i] = len(taken) - 1
    return lanes


def _free_stretch(low: float, high: float, blocked: Sequence[float]) -> tuple[float, float]:
    """The longest stretch of ``[low, high]`` that none of the ``blocked`` positions (other
    edges' vertical strokes) falls in, each kept :data:`LABEL_PAD` away."""
    cuts = sorted(x for x in blocked if low < x < high)
    edges = [low, *cuts, high]
    stretches = [(a + (LABEL_PAD if k else 0), b - (LABEL_PAD if k < len(cuts) else 0))
                 for k, (a, b) in enumerate(pairwise(edges))]
    return max(stretches, key=lambda s: (s[1] - s[0], -s[0]))


def _layout(arcs: Sequence[_Arc], column: dict[str, int]) -> list[_Placed]:
    spots = _anchors(arcs, column)
    ends = [(spots[(i, a.start)], spots[(i, a.end)]) for i, a in enumerate(arcs)]
    spans = [(min(x1, x2), max(x1, x2)) for x1, x2 in ends]
    lanes = _lanes(spans)
    placed = []
    for i, arc in enumerate(arcs):
        low, high = spans[i]
        # The strokes that cross this lane: those of edges on lanes beyond it.
        blocked = [x for k, (a, b) in enumerate(ends) if lanes[k] > lanes[i] for x in (a, b)]
        left, right = _free_stretch(low, high, blocked)
        label = _fit(arc.label, right - left, LABEL_CHAR_WIDTH)
        placed.append(_Placed(arc, ends[i][0], ends[i][1], lanes[i], (left + right) / 2, label))
    return placed


def _lane_y(edge_y: float, lane: int, upward: bool) -> float:
    offset = FIRST_LANE + LANE_STEP * lane
    return edge_y - offset if upward else edge_y + offset


def _room(placed: Sequence[_Placed]) -> float:
    """Height the edges of one side take beyond the boxes."""
    if not placed:
        return 12.0
    return FIRST_LANE + LANE_STEP * max(p.lane for p in placed) + LABEL_HEIGHT


# --- drawing ---------------------------------------------------------------------------------


def _path(p: _Placed, edge_y: float, upward: bool) -> str:
    """Up (or down) from the box, along the lane, back to the other box; rounded corners."""
    y = _lane_y(edge_y, p.lane, upward)
    toward = 1 if p.x2 >= p.x1 else -1
    bend = CORNER if upward else -CORNER
    r = min(CORNER, abs(p.x2 - p.x1) / 2)
    return (f"M {p.x1:.1f} {edge_y:.1f} V {y + bend:.1f} "
            f"Q {p.x1:.1f} {y:.1f} {p.x1 + toward * r:.1f} {y:.1f} "
            f"H {p.x2 - toward * r:.1f} Q {p.x2:.1f} {y:.1f} {p.x2:.1f} {y + bend:.1f} "
            f"V {edge_y:.1f}")


def _draw_edges(placed: Sequence[_Placed], edge_y: float, upward: bool, side: str,
                parts: list[str]) -> None:
    """The edges, then their labels, so that no stroke is drawn across a label."""
    labels = []
    for k, p in enumerate(placed):
        ident = f"mg-{side}-{k}"
        dash = ' stroke-dasharray="6 4"' if p.arc.css == "mg-control" else ""
        parts.append(
            f'<path id="{ident}" class="{p.arc.css}" d="{_path(p, edge_y, upward)}" '
            f'fill="none" stroke="#546e7a" stroke-width="2"{dash} marker-end="url(#mg-arrow)">'
            f"<title>{esc(p.arc.label)}</title></path>")
        lane = _lane_y(edge_y, p.lane, upward)
        width = len(p.label) * LABEL_CHAR_WIDTH
        # A plate under the label, so its own edge does not show between its words.
        labels.append(
            f'<rect class="mg-label-bg" x="{p.label_x - width / 2:.1f}" '
            f'y="{lane - LABEL_HEIGHT / 2:.1f}" width="{width:.1f}" height="{LABEL_HEIGHT}" '
            f'rx="3" fill="#ffffff"/>'
            f'<text class="mg-label" data-edge="{ident}" x="{p.label_x:.1f}" y="{lane + 4:.1f}" '
            f'text-anchor="middle" font-size="11" fill="#37474f">{esc(p.label)}</text>')
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
    above = _layout([a for a in _vpn_arcs(t) if a.start in column and a.end in column], column)
    below = _layout(_plane_arcs(t), column)
    boxes = {c.name: _box_lines(t, c) for c in t.clusters}
    tallest = max((len(lines) for lines in boxes.values()), default=0)
    box_height = TITLE_HEIGHT + LINE_HEIGHT * tallest + 16
    box_top = MARGIN + _room(above)
    width = MARGIN * 2 + len(t.clusters) * BOX_WIDTH + max(len(t.clusters) - 1, 0) * BOX_GAP
    height = box_top + box_height + _room(below) + MARGIN
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
        _draw_box(cluster, boxes[cluster.name], _left(column[cluster.name]), box_top,
                  box_height, parts)
    _draw_edges(above, box_top, True, "above", parts)
    _draw_edges(below, box_top + box_height, False, "below", parts)
    parts.append("</svg>")
    return "".join(parts)
