"""The diagram hides nothing: measured from the SVG itself, no label is crossed by an edge or
covered by another label or a box, no edge runs through a cluster's box, and each label sits on
its own edge. For every example, and for synthetic meshes and hubs of 2 to 8 clusters (past
eight the page draws a matrix instead)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest

from benchmarks.synthetic import synthetic
from generator.docs.diagram import diagram_svg
from generator.docs.matrix import matrix_svg
from generator.docs.topology_page import WIDE_CLUSTERS
from generator.model import Topology
from tests.helpers import TOPOLOGIES, model_of, topology_of

SVG = "{http://www.w3.org/2000/svg}"
CHAR_WIDTH = {11: 6.6, 12: 7.2, 15: 9.5}
"""Width of a character at each font size used: generous for sans-serif."""
TOUCH = 0.5
"""How far two shapes may share an edge before they count as overlapping."""


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (self.left < other.right - TOUCH and other.left < self.right - TOUCH
                and self.top < other.bottom - TOUCH and other.top < self.bottom - TOUCH)


Segment = tuple[float, float, float, float]


def crosses(segment: Segment, box: Box) -> bool:
    """Whether an axis-parallel segment (or a corner's chord) passes through ``box``."""
    x1, y1, x2, y2 = segment
    line = Box(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    widened = Box(line.left - 1, line.top - 1, line.right + 1, line.bottom + 1)
    return widened.overlaps(box)


def segments(d: str) -> list[Segment]:
    """The strokes of a path of M, V, H and Q commands (a corner as its chord)."""
    tokens = re.findall(r"[MVHQ]|-?[0-9.]+", d)
    out: list[Segment] = []
    x = y = 0.0
    k = 0
    while k < len(tokens):
        command = tokens[k]
        if command == "M":
            x, y = float(tokens[k + 1]), float(tokens[k + 2])
            k += 3
        elif command == "V":
            out.append((x, y, x, float(tokens[k + 1])))
            y = float(tokens[k + 1])
            k += 2
        elif command == "H":
            out.append((x, y, float(tokens[k + 1]), y))
            x = float(tokens[k + 1])
            k += 2
        else:  # Q cx cy x y
            nx, ny = float(tokens[k + 3]), float(tokens[k + 4])
            out.append((x, y, nx, ny))
            x, y = nx, ny
            k += 5
    return out


def text_box(element: ET.Element) -> Box:
    """The box a text element covers, from its position, size, anchor and length."""
    size = int(float(element.get("font-size", "12")))
    text = "".join(element.itertext())
    title = element.find(f"{SVG}title")
    if title is not None and title.text:
        text = text.replace(title.text, "", 1)
    width = len(text) * CHAR_WIDTH[size]
    x, baseline = float(element.get("x", "0")), float(element.get("y", "0"))
    left = x - width / 2 if element.get("text-anchor") == "middle" else x
    return Box(left, baseline - size * 0.8, left + width, baseline + size * 0.25)


@dataclass(frozen=True)
class Drawing:
    clusters: list[Box]
    edges: dict[str, list[Segment]]
    labels: list[tuple[str, Box]]
    """Each label with the id of the edge it names."""
    texts_in_clusters: list[Box]


def measure(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    clusters, inside = [], []
    for group in root.iter(f"{SVG}g"):
        if "mg-cluster" not in group.get("class", ""):
            continue
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
        box = Box(x, y, x + float(rect.get("width", "0")), y + float(rect.get("height", "0")))
        clusters.append(box)
        inside += [text_box(t) for t in group.iter(f"{SVG}text")]
    edges = {p.get("id", ""): segments(p.get("d", "")) for p in root.iter(f"{SVG}path")
             if p.get("id")}
    labels = [(t.get("data-edge", ""), text_box(t)) for t in root.iter(f"{SVG}text")
              if t.get("class") == "mg-label"]
    return Drawing(clusters, edges, labels, inside)


def assert_nothing_hidden(svg: str) -> None:
    drawing = measure(svg)
    assert drawing.edges and len(drawing.labels) == len(drawing.edges)
    for (_, a), (_, b) in combinations(drawing.labels, 2):
        assert not a.overlaps(b), f"labels overlap: {a} {b}"
    for edge, label in drawing.labels:
        for other, strokes in drawing.edges.items():
            if other != edge:
                assert not any(crosses(s, label) for s in strokes), (
                    f"{other} crosses {edge}'s label")
        for cluster in drawing.clusters:
            assert not label.overlaps(cluster), f"{edge}'s label covers a box"
        # The label sits on its own edge: across the edge's stretch along its lane.
        lane = [s for s in drawing.edges[edge] if s[1] == s[3] and s[0] != s[2]]
        assert lane, edge
        x1, y, x2, _ = lane[0]
        assert label.top < y < label.bottom, f"{edge}'s label is off its lane"
        middle = (label.left + label.right) / 2
        assert min(x1, x2) - CHAR_WIDTH[11] <= middle <= max(x1, x2) + CHAR_WIDTH[11], edge
    for ident, strokes in drawing.edges.items():
        for cluster in drawing.clusters:
            inner = Box(cluster.left + 1, cluster.top + 1, cluster.right - 1, cluster.bottom - 1)
            assert not any(crosses(s, inner) for s in strokes), f"{ident} runs through a box"
    for a, b in combinations(drawing.clusters, 2):
        assert not a.overlaps(b)
    for text in drawing.texts_in_clusters:
        assert any(text.left >= c.left and text.right <= c.right + 1 for c in drawing.clusters)


EXAMPLES = sorted(p.name for p in TOPOLOGIES.glob("*.yaml"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_nothing_hides_anything_in_the_examples(name: str) -> None:
    t = topology_of(TOPOLOGIES / name)
    if len(t.clusters) > WIDE_CLUSTERS:
        # Drawn as a matrix instead: a row a cluster, a cell for each tunnel it starts.
        drawn = ET.fromstring(matrix_svg(t))
        rows = [g for g in drawn.iter(f"{SVG}g") if g.get("data-cluster")]
        cells = sum((p.get("d") or "").count("M") for g in rows for p in g.iter(f"{SVG}path"))
        assert len(rows) == len(t.clusters) and cells == len(t.vpn)
        return
    assert_nothing_hidden(diagram_svg(t))


def synthetic_model(tmp_path: Path, clusters: int, primaries: int, vpn: str) -> Topology:
    data = synthetic(clusters, primaries, vpn)
    data["name"] = f"s{clusters}-{primaries}-{vpn}"
    return model_of(tmp_path, data)


MESHES = [(clusters, primaries, vpn) for clusters in range(2, WIDE_CLUSTERS + 1)
          for primaries, vpn in ((1, "mesh"), (1, "hub"), (2, "mesh")) if primaries < clusters]


@pytest.mark.parametrize(("clusters", "primaries", "vpn"), MESHES)
def test_nothing_hides_anything_in_meshes_of_two_to_eight(
        tmp_path: Path, clusters: int, primaries: int, vpn: str) -> None:
    assert_nothing_hidden(diagram_svg(synthetic_model(tmp_path, clusters, primaries, vpn)))


def test_the_measure_catches_what_it_is_for() -> None:
    """Two labels on one spot, an edge through a box: the checks above would fail."""
    clash = ('<svg xmlns="http://www.w3.org/2000/svg">'
             '<g class="mg-cluster"><rect x="0" y="50" width="100" height="50"/></g>'
             '<path id="a" d="M 10 50 V 10 H 200 V 50"/><path id="b" d="M 20 40 V 80"/>'
             '<text class="mg-label" data-edge="a" x="100" y="14" font-size="11" '
             'text-anchor="middle">one</text>'
             '<text class="mg-label" data-edge="b" x="102" y="14" font-size="11" '
             'text-anchor="middle">two</text></svg>')
    with pytest.raises(AssertionError):
        assert_nothing_hidden(clash)
