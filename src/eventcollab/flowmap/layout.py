"""Where the flow map's boxes go: in layers from top to bottom, the way a workflow runs.

A declared node's layer is its longest path from an entry over the declared edges, so every
event sits below each event that may cause it; a node that no service declares goes one layer
below its deepest cause seen. An edge that spans several layers passes through a slot of its own
in each layer it crosses, so its line never runs through a box; the slots of each layer are
ordered to cross few lines (barycentres), then placed as near their neighbours as the spacing
allows. Every tie is broken by name: the same graph always gets the same picture.
"""

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eventcollab.flowmap.causal import ends_of

# A slot of a layer: a node's box, or an edge passing through the layer, as (edge, layer).
Slot = str | tuple[str, int]

BOX_WIDTH = 190.0
BOX_HEIGHT = 60.0
LAYER_GAP = 84.0  # room for the edges' labels between two layers
TOP = 44.0  # below the legend
MARGIN = 16.0
SWEEPS = 8


@dataclass(frozen=True)
class Layout:
    layer: dict[str, int]  # node -> layer
    x: dict[Slot, float]  # centre of each slot
    routes: dict[str, tuple[Slot, ...]]  # edge -> the slots it passes through, top to bottom
    width: float
    height: float


def top_of(layer: int) -> float:
    return TOP + layer * (BOX_HEIGHT + LAYER_GAP)


def layers_of(
    nodes: Iterable[str],
    expected: Iterable[str],
    entries: Iterable[str],
    seen: Iterable[str],
) -> dict[str, int]:
    """Declared nodes by longest path from an entry; the others below their deepest cause seen."""
    nodes, expected, seen = sorted(set(nodes)), sorted(set(expected)), sorted(set(seen))
    layer = dict.fromkeys(sorted(entries), 0)
    # At most one round per node: a cycle in the declarations cannot push a node down forever.
    for _ in nodes:
        if not relaxed(layer, expected, len(nodes)):
            break
    rest = [node for node in nodes if node not in layer]
    layer |= dict.fromkeys(rest, 0)
    causes = {
        node: [ends_of(edge)[0] for edge in seen if ends_of(edge)[1] == node] for node in rest
    }
    for _ in rest:
        deeper = {
            node: max([0, *(layer[c] + 1 for c in causes[node] if c != node)]) for node in rest
        }
        if all(layer[node] == deeper[node] for node in rest):
            break
        layer |= deeper
    return dict(sorted(layer.items()))


def relaxed(layer: dict[str, int], edges: list[str], bound: int) -> bool:
    changed = False
    for edge in edges:
        cause, effect = ends_of(edge)
        if cause in layer and layer.get(effect, -1) < layer[cause] + 1 <= bound:
            layer[effect] = layer[cause] + 1
            changed = True
    return changed


def laid_out(layer: Mapping[str, int], edges: Iterable[str]) -> Layout:
    routes = {edge: route_of(edge, layer) for edge in sorted(set(edges))}
    rows: list[list[Slot]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for node in sorted(layer):
        rows[layer[node]].append(node)
    for route in routes.values():
        for slot in route[1:-1]:
            rows[layer_of(slot, layer)].append(slot)
    links = [
        (a, b)
        for route in routes.values()
        if layer_of(route[0], layer) < layer_of(route[-1], layer)
        for a, b in itertools.pairwise(route)
    ]
    rows = ordered(rows, links)
    x = placed(rows, links)
    right = max((x[slot] + half(slot) for row in rows for slot in row), default=0.0)
    return Layout(
        layer=dict(layer),
        x=x,
        routes=routes,
        width=right + MARGIN,
        height=top_of(len(rows)) - LAYER_GAP + MARGIN,
    )


def route_of(edge: str, layer: Mapping[str, int]) -> tuple[Slot, ...]:
    """The slots from the upper end to the lower; an edge within one layer passes through none."""
    cause, effect = ends_of(edge)
    upper, lower = sorted((cause, effect), key=lambda node: layer[node])
    between = tuple((edge, n) for n in range(layer[upper] + 1, layer[lower]))
    return (upper, *between, lower) if layer[upper] < layer[lower] else (cause, effect)


def layer_of(slot: Slot, layer: Mapping[str, int]) -> int:
    return slot[1] if isinstance(slot, tuple) else layer[slot]


def key_of(slot: Slot) -> tuple[str, int]:
    return (slot, -1) if isinstance(slot, str) else slot


def half(slot: Slot) -> float:
    return BOX_WIDTH / 2 if isinstance(slot, str) else 0.0


def spacing(left: Slot, right: Slot) -> float:
    boxes = isinstance(left, str) + isinstance(right, str)
    return half(left) + half(right) + (28.0, 18.0, 28.0)[boxes]


def ordered(rows: list[list[Slot]], links: list[tuple[Slot, Slot]]) -> list[list[Slot]]:
    """Each layer's slots in the order that crosses fewest lines found in a few sweeps."""
    above = neighbours(links, upward=True)
    below = neighbours(links, upward=False)
    rows = [sorted(row, key=key_of) for row in rows]
    best, fewest = rows, crossings(rows, below)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for n in indices:
            reference = rows[n - 1] if downward else rows[n + 1]
            rows[n] = by_barycentre(rows[n], reference, above if downward else below)
        count = crossings(rows, below)
        if count < fewest:
            best, fewest = [list(row) for row in rows], count
    return best


def neighbours(links: list[tuple[Slot, Slot]], upward: bool) -> dict[Slot, list[Slot]]:
    found: dict[Slot, list[Slot]] = {}
    for a, b in links:
        if upward:
            found.setdefault(b, []).append(a)
        else:
            found.setdefault(a, []).append(b)
    return found


def by_barycentre(
    row: list[Slot], reference: list[Slot], linked: Mapping[Slot, list[Slot]]
) -> list[Slot]:
    position = {slot: n for n, slot in enumerate(reference)}

    def barycentre(item: tuple[int, Slot]) -> tuple[float, int]:
        n, slot = item
        near = [position[other] for other in linked.get(slot, []) if other in position]
        return (sum(near) / len(near) if near else float(n), n)

    return [slot for _, slot in sorted(enumerate(row), key=barycentre)]


def crossings(rows: list[list[Slot]], below: Mapping[Slot, list[Slot]]) -> int:
    count = 0
    for upper, lower in itertools.pairwise(rows):
        position = {slot: n for n, slot in enumerate(lower)}
        pairs = [
            (n, position[b]) for n, a in enumerate(upper) for b in below.get(a, []) if b in position
        ]
        count += sum(1 for p in pairs for q in pairs if p[0] < q[0] and p[1] > q[1])
    return count


def placed(rows: list[list[Slot]], links: list[tuple[Slot, Slot]]) -> dict[Slot, float]:
    """Each slot's centre: near the mean of its neighbours', in order, never closer than spacing."""
    x: dict[Slot, float] = {}
    for row in rows:
        x |= packed(row, [0.0] * len(row))
    linked = {True: neighbours(links, upward=True), False: neighbours(links, upward=False)}
    for sweep in range(2 * SWEEPS):
        downward = sweep % 2 == 0
        for row in rows if downward else reversed(rows):
            wanted = []
            for slot in row:
                near = [x[other] for other in linked[downward].get(slot, [])]
                wanted.append(sum(near) / len(near) if near else x[slot])
            x |= packed(row, wanted)
    left = min((x[slot] - half(slot) for row in rows for slot in row), default=0.0)
    return {slot: round(centre - left + MARGIN, 1) for slot, centre in x.items()}


def packed(row: list[Slot], wanted: list[float]) -> dict[Slot, float]:
    """The positions nearest `wanted` (least squares) that keep the order and the spacing."""
    offsets = [0.0]
    for left, right in itertools.pairwise(row):
        offsets.append(offsets[-1] + spacing(left, right))
    # Pool adjacent violators over each slot's wish less its offset: blocks of (sum, size).
    blocks: list[list[float]] = []
    for want, offset in zip(wanted, offsets, strict=True):
        blocks.append([want - offset, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, size = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += size
    starts = [total / size for total, size in blocks for _ in range(int(size))]
    return {slot: start + offset for slot, start, offset in zip(row, starts, offsets, strict=True)}
