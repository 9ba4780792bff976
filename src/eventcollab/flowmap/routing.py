"""The flow map's lines, and where their labels go (flowmap.layout placed the boxes).

Each edge is a chain of cubic curves: down (or up) through the gaps between layers, straight
through the slots it was given in the layers between its ends. The edges at one side of a box
leave or enter it at ports spread along that side, in the order of where they go, so arrowheads
never pile up on one point. A label goes at the first spot along its edge that covers no box and
no label placed before it.
"""

import itertools
from collections.abc import Mapping

from eventcollab.flowmap.causal import ends_of
from eventcollab.flowmap.layout import BOX_HEIGHT, BOX_WIDTH, LAYER_GAP, Layout, Slot, top_of

Point = tuple[float, float]
Curve = tuple[Point, Point, Point, Point]  # a cubic Bézier: start, two controls, end
Rect = tuple[float, float, float, float]  # x, y, width, height

# Edges end this far before the box: the arrowhead (a marker) fills the rest.
ARROW = 9.0
PORT_SPACING = 34.0
SPOTS = (0.5, 0.3, 0.7, 0.15, 0.85)


def box_of(node: str, layout: Layout) -> Rect:
    return (
        layout.x[node] - BOX_WIDTH / 2,
        top_of(layout.layer[node]),
        BOX_WIDTH,
        BOX_HEIGHT,
    )


def curves_of(layout: Layout) -> dict[str, list[Curve]]:
    """Each edge's line, from the cause to the effect."""
    ports = ports_of(layout)
    return {edge: line_of(edge, route, layout, ports) for edge, route in layout.routes.items()}


def side_of(node: str, edge: str, layout: Layout) -> str:
    """Where `edge` meets `node`: below it towards a later layer, above it towards an earlier."""
    cause, effect = ends_of(edge)
    if cause == effect:
        return "right"
    if layout.layer[cause] == layout.layer[effect]:
        return "bottom"
    upper = cause if layout.layer[cause] < layout.layer[effect] else effect
    return "bottom" if node == upper else "top"


def ports_of(layout: Layout) -> dict[tuple[str, str], float]:
    """(edge, node) -> x where the edge meets the node's box."""
    sides: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for edge, route in layout.routes.items():
        cause, effect = ends_of(edge)
        if cause == effect:
            continue  # a loop beside its box (looped)
        for end in (cause, effect):
            toward = route[1] if route[0] == end else route[-2]
            sides.setdefault((end, side_of(end, edge, layout)), []).append((layout.x[toward], edge))
    ports: dict[tuple[str, str], float] = {}
    for (node, _), edges in sides.items():
        step = min(PORT_SPACING, 0.8 * BOX_WIDTH / len(edges))
        for n, (_, edge) in enumerate(sorted(edges)):
            ports[edge, node] = round(layout.x[node] + (n - (len(edges) - 1) / 2) * step, 1)
    return ports


def line_of(
    edge: str, route: tuple[Slot, ...], layout: Layout, ports: Mapping[tuple[str, str], float]
) -> list[Curve]:
    cause, effect = ends_of(edge)
    if cause == effect:
        return [looped(box_of(cause, layout))]
    if layout.layer[cause] == layout.layer[effect]:
        bottom = top_of(layout.layer[cause]) + BOX_HEIGHT
        start, end = (ports[edge, cause], bottom), (ports[edge, effect], bottom + ARROW)
        dip = bottom + 0.6 * LAYER_GAP
        return [(start, (start[0], dip), (end[0], dip), end)]
    points: list[Point] = []
    for slot in route:
        top = top_of(layout.layer[slot] if isinstance(slot, str) else slot[1])
        if isinstance(slot, str):
            x = ports[edge, slot]
            points.append((x, top) if slot == route[-1] else (x, top + BOX_HEIGHT))
        else:
            points += [(layout.x[slot], top), (layout.x[slot], top + BOX_HEIGHT)]
    if route[0] != cause:
        points.reverse()  # drawn upwards: an effect above its cause
    x, y = points[-1]
    points[-1] = (x, y - ARROW if y > points[-2][1] else y + ARROW)
    return [bent(a, b) for a, b in itertools.pairwise(points)]


def bent(start: Point, end: Point) -> Curve:
    """Leaving and entering vertically: a straight line when both are above each other."""
    middle = (start[1] + end[1]) / 2
    return (start, (start[0], middle), (end[0], middle), end)


def looped(box: Rect) -> Curve:
    """An event caused by one of its own type: a loop on the right of its box."""
    x, y, width, height = box
    right, centre = x + width, y + height / 2
    return (
        (right, centre - 12),
        (right + 40, centre - 34),
        (right + 40 + ARROW, centre + 34),
        (right + ARROW, centre + 12),
    )


def at(curve: Curve, t: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def path_data(curves: list[Curve]) -> str:
    (x, y), *_ = curves[0]
    data = [f"M{x:.1f},{y:.1f}"]
    for _, (ax, ay), (bx, by), (cx, cy) in curves:
        data.append(f"C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {cx:.1f},{cy:.1f}")
    return " ".join(data)


def overlap(a: Rect, b: Rect) -> float:
    """The area two rectangles share (0 when they only touch)."""
    across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    down = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(across, 0.0) * max(down, 0.0)


def labels_placed(
    curves: Mapping[str, list[Curve]],
    sizes: Mapping[str, tuple[float, float]],
    boxes: list[Rect],
    width: float,
) -> dict[str, Rect]:
    """Each edge's label: the first spot along it clear of boxes, labels, the sides and other
    lines; failing that, clear of all but lines; failing that, the least covered spot.

    Edges with fewer spots choose first."""
    traced = {
        edge: [at(c, n / 20) for c in line for n in range(21)] for edge, line in curves.items()
    }
    taken: list[Rect] = []
    spots: dict[str, Rect] = {}
    for edge in sorted(curves, key=lambda edge: (len(curves[edge]), edge)):
        label_width, label_height = sizes[edge]
        candidates = [
            rounded((x - label_width / 2, y - label_height / 2, label_width, label_height))
            for curve in curves[edge]
            for x, y in (at(curve, t) for t in SPOTS)
        ]
        others = [point for other, points in traced.items() if other != edge for point in points]
        obstacles = [*boxes, *taken]
        clear = [c for c in candidates if not covered(c, obstacles, width)]
        spot = (
            min(clear, key=lambda rect: crossed(rect, others))
            if clear
            else min(candidates, key=lambda rect: covered(rect, obstacles, width))
        )
        spots[edge] = spot
        taken.append(spot)
    return dict(sorted(spots.items()))


def covered(rect: Rect, obstacles: list[Rect], width: float) -> float:
    """How much of the label (with a margin) lies on boxes, other labels, or off the sides."""
    padded = (rect[0] - 2, rect[1] - 2, rect[2] + 4, rect[3] + 4)
    outside = max(0.0, -rect[0]) + max(0.0, rect[0] + rect[2] - width)
    return outside * rect[3] + sum(overlap(padded, other) for other in obstacles)


def crossed(rect: Rect, points: list[Point]) -> int:
    return sum(inside(point, rect) for point in points)


def rounded(rect: Rect) -> Rect:
    x, y, width, height = rect
    return (round(x, 1), round(y, 1), round(width, 1), round(height, 1))


def inside(point: Point, rect: Rect) -> bool:
    x, y = point
    return rect[0] <= x <= rect[0] + rect[2] and rect[1] <= y <= rect[1] + rect[3]
