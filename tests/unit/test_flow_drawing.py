"""The flow map drawn as SVG: every node and edge there, marked, counted, linked, escaped, apart."""

import itertools
import random
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote

from flows import PATHS, timeline_of

from eventcollab.flowmap import declared, sample
from eventcollab.flowmap.aggregate import FlowMap, map_of_shares, merged
from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.drawing import COLOURS, main, svg_of

SVG = "{http://www.w3.org/2000/svg}"
Rect = tuple[float, float, float, float]
DECLARED_NODES = {declared.named(node) for node in declared.nodes()}


def generated(seed: int, workflows: int = 300) -> FlowMap:
    """Workflows of the three paths, in random proportions."""
    chance = random.Random(seed)
    paths = list(PATHS.values())
    return map_of_shares(
        share_of(timeline_of(chance.choice(paths), chance)) for _ in range(workflows)
    )


def drawn(svg: str, kind: str) -> dict[str, ElementTree.Element]:
    """The `node` or `edge` groups of the drawing, by their name."""
    root = ElementTree.fromstring(svg)  # well-formed XML, or this raises
    return {g.attrib[f"data-{kind}"]: g for g in root.iter(f"{SVG}g") if g.get("class") == kind}


def rect_of(group: ElementTree.Element, kind: str) -> Rect:
    (rect,) = [r for r in group.iter(f"{SVG}rect") if r.get("class") == kind]
    return tuple(float(rect.attrib[a]) for a in ("x", "y", "width", "height"))  # type: ignore[return-value]


def overlapping(rects: dict[str, Rect]) -> list[tuple[str, str]]:
    def apart(a: Rect, b: Rect) -> bool:
        return (
            a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
        )

    return [
        (a, b) for a, b in itertools.combinations(sorted(rects), 2) if not apart(rects[a], rects[b])
    ]


def text_of(group: ElementTree.Element) -> str:
    return " ".join(t.text or "" for t in group.iter(f"{SVG}text"))


def test_every_declared_node_and_edge_is_drawn_with_its_count_and_mark() -> None:
    flow = generated(1)

    nodes, edges = drawn(svg_of(flow), "node"), drawn(svg_of(flow), "edge")

    assert set(nodes) == DECLARED_NODES | set(flow.nodes)
    for node, group in nodes.items():
        count = flow.nodes.get(node, 0)
        assert group.attrib["data-count"] == str(count), node
        assert group.attrib["data-mark"] == ("expected" if count else "never seen"), node
    assert set(edges) == declared.expected_names() | set(flow.edges)
    for edge, group in edges.items():
        count = flow.edges.get(edge, 0)
        assert group.attrib["data-count"] == str(count), edge
        assert group.attrib["data-mark"] == ("expected" if count else "never seen"), edge
        assert (text_of(group) == "never seen") == (not count), edge


def test_never_seen_edges_are_grey_dashed_and_say_so() -> None:
    edges = drawn(svg_of(FlowMap()), "edge")

    assert set(edges) == declared.expected_names()
    for edge, group in edges.items():
        (path,) = group.iter(f"{SVG}path")
        assert group.attrib["data-mark"] == "never seen", edge
        assert path.attrib["stroke"] == COLOURS["never seen"] and "stroke-dasharray" in path.attrib
        assert text_of(group) == "never seen"


def test_an_undeclared_edge_and_node_are_drawn_red_and_below_their_cause() -> None:
    flow = generated(2, workflows=20).merge(
        FlowMap(
            workflows=1,
            nodes={"payments/PaymentAuthorized": 1, "shipping/ShipmentDelayed": 1},
            edges={"payments/PaymentAuthorized -> shipping/ShipmentDelayed": 1},
        )
    )
    shortcut = "orders/OrderPlaced -> orders/OrderCompleted"  # declared nodes, undeclared edge
    flow = flow.merge(FlowMap(nodes={}, edges={shortcut: 1}))

    svg = svg_of(flow)

    nodes, edges = drawn(svg, "node"), drawn(svg, "edge")
    delayed = nodes["shipping/ShipmentDelayed"]
    assert delayed.attrib["data-mark"] == "unexpected"
    assert nodes["payments/PaymentAuthorized"].attrib["data-mark"] == "expected"
    for edge in ("payments/PaymentAuthorized -> shipping/ShipmentDelayed", shortcut):
        (path,) = edges[edge].iter(f"{SVG}path")
        assert edges[edge].attrib["data-mark"] == "unexpected"
        assert path.attrib["stroke"] == COLOURS["unexpected"]
        assert float(path.attrib["stroke-width"]) >= 3
    cause = rect_of(nodes["payments/PaymentAuthorized"], "box")
    assert rect_of(delayed, "box")[1] > cause[1] + cause[3]


def test_an_undeclared_node_without_a_cause_goes_in_the_first_layer() -> None:
    flow = FlowMap(nodes={"audit/Noticed": 1})

    nodes = drawn(svg_of(flow), "node")

    placed = rect_of(nodes["orders/OrderPlaced"], "box")
    assert rect_of(nodes["audit/Noticed"], "box")[1] == placed[1]


def test_every_declared_edge_runs_down_from_its_cause_to_its_effect() -> None:
    nodes = drawn(svg_of(generated(3)), "node")

    for cause, effect in declared.expected_edges():
        upper = rect_of(nodes[declared.named(cause)], "box")
        lower = rect_of(nodes[declared.named(effect)], "box")
        assert upper[1] + upper[3] < lower[1], (cause, effect)


def test_a_stuck_badge_shows_exactly_on_the_stuck_nodes_with_their_number() -> None:
    stuck = {
        "payments/PaymentAuthorized": 3,
        "inventory/StockReserved": 12,
        "orders/OrderPlaced": 0,
        "rogue/Waiting": 2,  # not on the map yet: drawn all the same, with its badge
        "rogue/Gone": 0,  # neither on the map nor stuck: not drawn
    }

    nodes = drawn(svg_of(generated(4), stuck), "node")

    badged = {node: g.attrib["data-stuck"] for node, g in nodes.items() if "data-stuck" in g.attrib}
    assert badged == {
        "payments/PaymentAuthorized": "3",
        "inventory/StockReserved": "12",
        "rogue/Waiting": "2",
    }
    assert "rogue/Gone" not in nodes
    assert "3 stuck" in text_of(nodes["payments/PaymentAuthorized"])
    assert "12 stuck" in text_of(nodes["inventory/StockReserved"])
    assert all("stuck" not in text_of(g) for node, g in nodes.items() if node not in badged)


def test_names_from_the_wire_are_escaped_and_the_drawing_still_parses() -> None:
    evil = 'x<&"/Bad\x01Type<script>'
    edge = f"orders/OrderPlaced -> {evil}"
    flow = FlowMap(workflows=1, nodes={"orders/OrderPlaced": 1, evil: 1}, edges={edge: 1})

    svg = svg_of(flow, {evil: 2})

    assert "<script>" not in svg and "\x01" not in svg
    nodes, edges = drawn(svg, "node"), drawn(svg, "edge")
    named = 'x<&"/Bad\ufffdType<script>'  # the control character cannot be in XML at all
    assert nodes[named].attrib["data-stuck"] == "2"
    assert edges[f"orders/OrderPlaced -> {named}"].attrib["data-mark"] == "unexpected"


def test_each_node_and_edge_links_to_its_own_page() -> None:
    root = ElementTree.fromstring(svg_of(generated(5)))

    links = {
        (g.get("data-node") or g.get("data-edge")): a.attrib["href"]
        for a in root.iter(f"{SVG}a")
        for g in a.iter(f"{SVG}g")
    }

    assert links["payments/PaymentAuthorized"] == "/flow/nodes/payments%2FPaymentAuthorized"
    edge = "orders/OrderPlaced -> payments/PaymentAuthorized"
    assert links[edge] == f"/flow/edges/{quote(edge, safe='')}"
    assert len(links) == len(drawn(svg_of(generated(5)), "node")) + len(declared.expected_names())


def test_the_same_map_however_summed_gives_the_identical_drawing() -> None:
    chance = random.Random(6)
    shares = [share_of(timeline_of(chance.choice(list(PATHS.values())), chance)) for _ in range(60)]
    whole = svg_of(map_of_shares(shares), {"payments/PaymentAuthorized": 1})
    for _ in range(5):
        chance.shuffle(shares)
        cut = chance.randint(0, len(shares))
        parts = merged([map_of_shares(shares[:cut]), map_of_shares(shares[cut:])])

        assert svg_of(parts, {"payments/PaymentAuthorized": 1}) == whole


def test_no_box_overlaps_another_nor_any_label_for_the_declared_graph() -> None:
    for flow, stuck in [(generated(7, workflows=1000), {}), sample.generated(), (FlowMap(), {})]:
        svg = svg_of(flow, stuck)
        nodes, edges = drawn(svg, "node"), drawn(svg, "edge")
        boxes = {f"node {n}": rect_of(g, "box") for n, g in nodes.items()}
        labels = {f"edge {e}": rect_of(g, "label") for e, g in edges.items()}

        assert overlapping(boxes | labels) == []
        width = float(ElementTree.fromstring(svg).attrib["width"])
        assert all(r[0] >= 0 and r[0] + r[2] <= width for r in (boxes | labels).values())


def test_no_box_overlaps_another_with_many_undeclared_nodes_and_edges() -> None:
    chance = random.Random(8)
    names = sorted(DECLARED_NODES) + [f"rogue/Event{n}" for n in range(12)]
    edges = {
        f"{chance.choice(names)} -> {chance.choice(names)}": chance.randint(1, 50)
        for _ in range(40)
    }
    flow = FlowMap(workflows=50, nodes=dict.fromkeys(names, 5), edges=edges)

    nodes = drawn(svg_of(flow), "node")

    assert set(nodes) == set(names)
    assert overlapping({n: rect_of(g, "box") for n, g in nodes.items()}) == []


def test_the_sample_drawing_is_a_thousand_workflows_with_each_mark(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main() == 0

    svg = capsys.readouterr().out
    marks = {g.attrib["data-mark"] for g in drawn(svg, "edge").values()}
    assert marks == {"expected", "unexpected", "never seen"}
    assert "1000 workflows" in svg and "data-stuck" in svg


def test_a_loop_an_edge_within_a_layer_and_one_running_up_are_drawn_ending_at_their_effect() -> (
    None
):
    loop = "payments/PaymentAuthorized -> payments/PaymentAuthorized"
    across = "orders/OrderPlaced -> orders/CancelRequested"  # both in the first layer
    upward = "orders/OrderCompleted -> orders/OrderPlaced"
    flow = generated(9, workflows=30).merge(FlowMap(edges={loop: 1, across: 2, upward: 3}))

    svg = svg_of(flow)

    nodes, edges = drawn(svg, "node"), drawn(svg, "edge")
    for edge in (loop, across, upward):
        assert edges[edge].attrib["data-mark"] == "unexpected"
        (path,) = edges[edge].iter(f"{SVG}path")
        *_, end = path.attrib["d"].split()
        x, y = (float(v) for v in end.split(","))
        box = rect_of(nodes[edge.partition(" -> ")[2]], "box")
        # The arrowhead (10 px) reaches from the line's end to the effect's box.
        assert box[0] - 10 <= x <= box[0] + box[2] + 10 and box[1] - 10 <= y <= box[1] + box[3] + 10
    assert overlapping({n: rect_of(g, "box") for n, g in nodes.items()}) == []
