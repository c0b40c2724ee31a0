"""Read the asset graph the Dagster UI drew: node boxes and edge end points, from the SVG.

Nodes are `<foreignObject>` boxes holding the asset (or group) name; edges are `<path>`s with
an arrow marker that start on the right side of the upstream box and end (minus the arrow) on
the left side of the downstream box. Matching end points to boxes gives the edges as drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Evaluated in the page: plain data out, no Playwright handles.
READ_GRAPH_JS = """
() => {
  // Detailed nodes carry the full name in a tooltip; minimal (zoomed-out) ones only the
  // middle-truncated text.
  const nodeLabel = fo => {
    const name = fo.querySelector('[class*="assetName"]');
    const tip = (name || fo).querySelector('[data-tooltip]');
    if (tip) return tip.getAttribute('data-tooltip').trim();
    return ((name || fo).textContent || '').trim();
  };
  const boxes = [...document.querySelectorAll('svg foreignObject')].map(fo => ({
    x: +fo.getAttribute('x'), y: +fo.getAttribute('y'),
    w: +fo.getAttribute('width'), h: +fo.getAttribute('height'),
    group: (fo.getAttribute('class') || '').includes('group'),
    label: nodeLabel(fo),
  }));
  const edges = [...document.querySelectorAll('svg path[marker-end]')]
    .map(p => p.getAttribute('d'));
  return {boxes, edges};
}
"""
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")
ARROW_GAP = 12.0  # the arrow head sits a few pixels left of the target box
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Box:
    label: str
    x: float
    y: float
    w: float
    h: float


def label_matches(label: str, name: str) -> bool:
    """The UI middle-truncates long names ('mv_mode_cat…_stats')."""
    if ELLIPSIS not in label:
        return label == name
    head, _, tail = label.partition(ELLIPSIS)
    return name.startswith(head) and name.endswith(tail) and len(name) > len(head + tail)


def asset_boxes(raw: dict, names: set[str]) -> dict[str, Box]:
    """Asset node boxes by asset name (group boxes left out); unknown labels raise."""
    out: dict[str, Box] = {}
    for b in raw["boxes"]:
        if b["group"] or not b["label"]:
            continue
        matches = [n for n in names if label_matches(b["label"], n)]
        if len(matches) != 1:
            raise AssertionError(f"UI node {b['label']!r} matches assets {matches}")
        out[matches[0]] = Box(matches[0], b["x"], b["y"], b["w"], b["h"])
    return out


def group_labels(raw: dict) -> set[str]:
    """Names on the group boxes."""
    return {b["label"] for b in raw["boxes"] if b["group"]}


def _endpoints(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = [float(n) for n in _NUMBERS.findall(d)]
    return (numbers[0], numbers[1]), (numbers[-2], numbers[-1])


def _box_at(boxes: dict[str, Box], x: float, y: float, side: str) -> str | None:
    for name, b in boxes.items():
        edge_x = b.x + b.w if side == "right" else b.x
        near = -0.5 <= x - edge_x <= 0.5 if side == "right" else 0 <= edge_x - x <= ARROW_GAP
        if near and b.y <= y <= b.y + b.h:
            return name
    return None


def drawn_edges(raw: dict, boxes: dict[str, Box]) -> set[tuple[str, str]]:
    """(upstream, downstream) of every edge path whose both ends sit on asset boxes."""
    edges = set()
    for d in raw["edges"]:
        (x0, y0), (x1, y1) = _endpoints(d)
        src, dst = _box_at(boxes, x0, y0, "right"), _box_at(boxes, x1, y1, "left")
        if src and dst:
            edges.add((src, dst))
    return edges
