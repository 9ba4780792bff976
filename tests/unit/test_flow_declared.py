"""The flow the services declare is the flow every run takes, and the README draws it."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from choreography import every_run

from eventcollab.flowmap import declared
from eventcollab.flowmap.declared import Edge, Node, named
from eventcollab.models import Event

README = Path(__file__).parents[2] / "README.md"


def node(event: Event) -> Node:
    return event.producer, event.event_type


def shown(edges: set[Edge] | frozenset[Edge]) -> list[str]:
    return sorted(f"{named(cause)} -> {named(effect)}" for cause, effect in edges)


def test_the_expected_edges_are_exactly_the_causes_that_every_run_publishes() -> None:
    taken = {(node(cause), node(effect)) for cause, effect in every_run().caused}
    expected = declared.expected_edges()

    assert shown(taken - expected) == [], "taken by a run, not expected"
    assert shown(expected - taken) == [], "expected, taken by no run"


def test_the_expected_flow_is_this_one() -> None:
    # Written out: a change of a decision and of its declaration together changes the flow.
    assert shown(declared.expected_edges()) == [
        "inventory/StockReleased -> orders/OrderCancelled",
        "inventory/StockReserved -> shipping/ShipmentScheduled",
        "inventory/StockReserved -> tracker/StepOverdue",
        "inventory/StockUnavailable -> payments/PaymentRefunded",
        "orders/CancelRequested -> orders/OrderCancelling",
        "orders/OrderCancelling -> inventory/StockReleased",
        "orders/OrderCancelling -> payments/PaymentRefunded",
        "orders/OrderCancelling -> payments/PaymentVoided",
        "orders/OrderCancelling -> shipping/ShipmentCancelled",
        "orders/OrderPlaced -> payments/PaymentAuthorized",
        "orders/OrderPlaced -> payments/PaymentDeclined",
        "orders/OrderPlaced -> tracker/StepOverdue",
        "payments/PaymentAuthorized -> inventory/StockReleased",
        "payments/PaymentAuthorized -> inventory/StockReserved",
        "payments/PaymentAuthorized -> inventory/StockUnavailable",
        "payments/PaymentAuthorized -> tracker/StepOverdue",
        "payments/PaymentDeclined -> orders/OrderRejected",
        "payments/PaymentRefunded -> orders/OrderCancelled",
        "payments/PaymentVoided -> orders/OrderCancelled",
        "shipping/ShipmentScheduled -> orders/OrderCompleted",
        "tracker/StepOverdue -> orders/OrderCancelling",
    ]


def test_every_chain_of_causes_starts_at_an_entry_node() -> None:
    runs = every_run()

    assert {node(event) for event in runs.roots} == declared.entry_nodes()
    assert runs.orphans == frozenset()
    assert not any(effect in declared.entry_nodes() for _, effect in declared.expected_edges())


def test_every_run_that_comes_to_rest_ends_with_exactly_one_outcome() -> None:
    outcomes: Counter[str] = Counter()
    for run in every_run().settled:
        (outcome,) = [
            event.event_type for event in run if event.event_type in declared.terminal_types()
        ]
        outcomes[outcome] += 1

    assert set(outcomes) == declared.terminal_types()
    assert not any(cause[1] in declared.terminal_types() for cause, _ in declared.expected_edges())


def test_a_node_is_named_by_its_producer_and_its_type() -> None:
    assert named(("orders", "OrderPlaced")) == "orders/OrderPlaced"


NODE = re.compile(r'^    (\w+)(\(\[|\[\[|\[)"(\w+)"(\]\)|\]\]|\])$')
EDGE = re.compile(r"^  (\w+) --> (\w+)$")


def drawn(chart: str) -> tuple[dict[str, tuple[Node, str]], set[tuple[str, str]]]:
    """The nodes of a chart by id, each with its shape, and its edges between ids."""
    nodes: dict[str, tuple[Node, str]] = {}
    edges: set[tuple[str, str]] = set()
    service = None
    for line in chart.splitlines()[1:]:
        if line.startswith("  subgraph "):
            service = line.removeprefix("  subgraph ")
        elif line == "  end":
            service = None
        elif (found := NODE.match(line)) and service is not None:
            node_id, shape, label, _ = found.groups()
            nodes[node_id] = ((service, label), shape)
        elif found := EDGE.match(line):
            edges.add(found.groups())
        else:
            raise AssertionError(f"not a line of the chart: {line!r}")
    return nodes, edges


def test_the_diagram_draws_each_node_in_its_service_s_box_and_every_expected_edge() -> None:
    chart = declared.mermaid()
    nodes, edges = drawn(chart)

    assert chart.startswith("flowchart LR\n")
    assert {node for node, _ in nodes.values()} == declared.nodes()
    assert len(nodes) == len(declared.nodes())
    assert {(nodes[cause][0], nodes[effect][0]) for cause, effect in edges} == (
        declared.expected_edges()
    )
    shapes = {node: shape for node, shape in nodes.values()}
    assert {node for node, shape in shapes.items() if shape == "(["} == declared.entry_nodes()
    assert {node[1] for node, shape in shapes.items() if shape == "[["} == (
        declared.terminal_types()
    )


def test_the_readme_shows_the_diagram_drawn_from_the_declarations() -> None:
    text = README.read_text()

    assert declared.between_markers(text) is not None, (
        f"README.md has no {declared.BEGIN} ... {declared.END}: put them where the diagram "
        f"goes and run `{declared.COMMAND}`"
    )
    assert declared.with_diagram(text) == text, (
        f"README.md's flow diagram is not the declared one: run `{declared.COMMAND}`"
    )


def test_the_command_prints_the_block_and_writes_it_between_the_markers_only(
    tmp_path: Path,
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n{declared.BEGIN}\nan old drawing\n{declared.END}\nthe rest\n")
    printed = subprocess.run(
        [sys.executable, "-m", "eventcollab.flowmap.declared"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert declared.main(["--write", "--readme", str(readme)]) == 0

    written = readme.read_text()
    assert printed == declared.block()
    assert written == f"# Title\n{declared.BEGIN}\n{declared.block()}{declared.END}\nthe rest\n"
    assert declared.main(["--write", "--readme", str(readme)]) == 0
    assert readme.read_text() == written


def test_writing_to_a_readme_without_the_markers_changes_nothing_and_fails(
    tmp_path: Path,
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n{declared.END}\n{declared.BEGIN}\n")

    assert declared.main(["--write", "--readme", str(readme)]) == 1
    assert declared.main(["--write", "--readme", str(tmp_path / "missing.md")]) == 1

    assert readme.read_text() == f"# Title\n{declared.END}\n{declared.BEGIN}\n"
