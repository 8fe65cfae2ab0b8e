"""The diagram of a topology with many clusters: an adjacency matrix, drawn as inline SVG.

A row of boxes joined by arcs stops being readable after a handful of clusters, and a full mesh
of a hundred has thousands of links. The matrix stays readable at any size: one row and one
column per cluster in topology order; a filled cell says the row's cluster starts a VPN tunnel
to the column's; the diagonal shows each cluster's role; a ring marks the primary whose istiod
drives a remote. Each row's cells are one path, so the drawing grows with the clusters and links,
not with the markup per cell.
"""

from __future__ import annotations

from ..model import Cluster, Topology
from .markup import esc

CELL = 10
FONT = 9
CHAR_WIDTH = 5.6  # of 9px monospace text
NAME_ROOM = 18  # characters of a name shown before it is cut
MARGIN = 16
LEGEND_HEIGHT = 84
GUIDE_EVERY = 10
MIN_SCALE = 0.8
PRIMARY_FILL = "#1e88e5"
REMOTE_FILL = "#7cb342"
LINK_FILL = "#37474f"
CONTROL_STROKE = "#8e24aa"


def _shown(name: str) -> str:
    return name if len(name) <= NAME_ROOM else name[: NAME_ROOM - 1] + "\u2026"


def _row_title(cluster: Cluster, starts: int, listens: int) -> str:
    role = ("primary" if cluster.is_primary
            else f"remote of {cluster.primary}" if cluster.primary else "remote")
    return (f"{cluster.name} ({role}): starts {starts} tunnel{'s' if starts != 1 else ''}, "
            f"listens for {listens}")


def _legend(x: float, y: float) -> str:
    items = [
        (f'<rect class="mg-vpn-cells" width="{CELL}" height="{CELL}" fill="{LINK_FILL}"/>',
         "the row's cluster starts an IPsec tunnel to the column's (initiator \u2192 responder)"),
        (f'<rect class="mg-self-primary" width="{CELL}" height="{CELL}" '
         f'fill="{PRIMARY_FILL}"/>', "primary cluster (istiod runs here)"),
        (f'<rect class="mg-self-remote" width="{CELL}" height="{CELL}" fill="{REMOTE_FILL}"/>',
         "remote cluster"),
        (f'<circle class="mg-control" cx="{CELL / 2}" cy="{CELL / 2}" r="{CELL / 2 + 0.5}" '
         f'fill="none" stroke="{CONTROL_STROKE}" stroke-width="1.5"/>',
         "the row's remote is driven by the column's primary"),
    ]
    parts = [f'<g class="mg-legend" transform="translate({x:.1f} {y:.1f})">']
    for k, (swatch, words) in enumerate(items):
        parts.append(f'<g transform="translate(0 {k * 18})">{swatch}'
                     f'<text x="{CELL + 8}" y="{CELL - 1}" font-size="12" fill="#263238">'
                     f"{esc(words)}</text></g>")
    parts.append("</g>")
    return "".join(parts)


def matrix_svg(t: Topology) -> str:
    """The matrix as one ``<svg>`` element; every text from the topology is escaped."""
    names = [c.name for c in t.clusters]
    index = {name: i for i, name in enumerate(names)}
    count = len(names)
    label = max((len(_shown(n)) for n in names), default=1) * CHAR_WIDTH + 6
    left, top = MARGIN + label, MARGIN + label
    side = count * CELL
    width = max(left + side + MARGIN, 560)
    height = top + side + 16 + LEGEND_HEIGHT
    starts: dict[str, list[int]] = {n: [] for n in names}
    listens: dict[str, int] = dict.fromkeys(names, 0)
    for link in t.vpn:
        if link.initiator in index and link.responder in index:
            starts[link.initiator].append(index[link.responder])
            listens[link.responder] += 1

    parts = [
        f'<svg class="meshgen-diagram meshgen-matrix" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" style="min-width: {width * MIN_SCALE:.0f}px" '
        f'font-family="sans-serif" aria-labelledby="mg-diagram-title">',
        f'<title id="mg-diagram-title">Topology {esc(t.name)}: {count} clusters, '
        f"{len(t.vpn)} VPN links, drawn as a matrix</title>",
        f'<rect class="mg-grid" x="{left}" y="{top}" width="{side}" height="{side}" '
        'fill="#fafafa" stroke="#b0bec5" stroke-width="1"/>',
    ]
    guides = "".join(f"M {left + k * CELL} {top} v {side} M {left} {top + k * CELL} h {side} "
                     for k in range(GUIDE_EVERY, count, GUIDE_EVERY))
    if guides:
        parts.append(f'<path class="mg-guide" d="{guides.strip()}" stroke="#cfd8dc" '
                     'stroke-width="1" fill="none"/>')
    for i, cluster in enumerate(t.clusters):
        y = top + i * CELL
        role = "mg-row-primary" if cluster.is_primary else "mg-row-remote"
        title = _row_title(cluster, len(starts[cluster.name]), listens[cluster.name])
        parts.append(f'<g class="mg-row {role}" data-cluster="{esc(cluster.name)}">'
                     f"<title>{esc(title)}</title>")
        parts.append(f'<text class="mg-name" x="{left - 4:.1f}" y="{y + CELL - 1.5:.1f}" '
                     f'text-anchor="end" font-size="{FONT}" font-family="monospace" '
                     f'fill="#263238">{esc(_shown(cluster.name))}</text>')
        fill, self_css = ((PRIMARY_FILL, "mg-self-primary") if cluster.is_primary
                          else (REMOTE_FILL, "mg-self-remote"))
        parts.append(f'<rect class="{self_css}" x="{left + i * CELL}" y="{y}" width="{CELL}" '
                     f'height="{CELL}" fill="{fill}"/>')
        cells = "".join(f"M {left + j * CELL + 1} {y + 1} h {CELL - 2} v {CELL - 2} "
                        f"h {2 - CELL} z " for j in sorted(starts[cluster.name]))
        if cells:
            parts.append(f'<path class="mg-vpn-cells" d="{cells.strip()}" '
                         f'fill="{LINK_FILL}"/>')
        primary = cluster.primary if not cluster.is_primary else None
        if primary in index:
            cx = left + index[primary] * CELL + CELL / 2
            # Around the cell, so a tunnel drawn in it stays visible.
            parts.append(f'<circle class="mg-control" cx="{cx:.1f}" cy="{y + CELL / 2:.1f}" '
                         f'r="{CELL / 2 + 0.5:.1f}" fill="none" stroke="{CONTROL_STROKE}" '
                         'stroke-width="1.5"/>')
        parts.append("</g>")
    for j, cluster in enumerate(t.clusters):
        x = left + j * CELL + CELL - 2
        parts.append(f'<text class="mg-column" transform="translate({x:.1f} {top - 4:.1f}) '
                     f'rotate(-90)" font-size="{FONT}" font-family="monospace" fill="#263238">'
                     f"{esc(_shown(cluster.name))}</text>")
    parts.append(_legend(MARGIN, top + side + 16))
    parts.append("</svg>")
    return "".join(parts)
