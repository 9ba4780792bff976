"""The flow the services declare, and the workflow diagram drawn from it.

Each service declares next to its decision what it may publish in answer to each event it acts
on (`REACTIONS` in eventcollab.domain and eventcollab.deadlines), and the orders service the
events it takes over HTTP (`ENTRY_EVENTS`). A node is an event type as one producer publishes
it. An edge from a cause to an effect is expected when the effect's producer declares the
effect's type as an answer to the cause's type: the effect's causation_id names its cause.

Inventory's stock commands are no nodes: they stay inside that service, the tracker never sees
them, and the event at the end of a chain names as its cause the event that started the chain.

`python -m eventcollab.flowmap.declared` prints the README's workflow diagram; `--write` puts it
in README.md between its markers.
"""

import argparse
import sys
from functools import cache
from pathlib import Path

from eventcollab import deadlines
from eventcollab.domain import Reactions, emitted, inventory, orders, payments, shipping
from eventcollab.flowmap.causal import ARROW
from eventcollab.workflow import OUTCOMES

Node = tuple[str, str]  # (producer, event type), as a TimelineEntry has them
Edge = tuple[Node, Node]  # (cause, effect)

# Every service that answers events, with what it declares; the tracker answers a wait that
# outlasts its deadline.
DECLARED: tuple[tuple[str, Reactions], ...] = (
    (orders.PRODUCER, orders.REACTIONS),
    (payments.PRODUCER, payments.REACTIONS),
    (inventory.PRODUCER, inventory.REACTIONS),
    (shipping.PRODUCER, shipping.REACTIONS),
    (deadlines.PRODUCER, deadlines.REACTIONS),
)


def named(node: Node) -> str:
    """The node as text: `producer/EventType`."""
    producer, event_type = node
    return f"{producer}/{event_type}"


@cache
def entry_nodes() -> frozenset[Node]:
    """The events that start a chain of causes: taken over HTTP, caused by none."""
    return frozenset((orders.PRODUCER, kind) for kind in orders.ENTRY_EVENTS)


@cache
def nodes() -> frozenset[Node]:
    """Every event type as its producer may publish it."""
    answers = {(producer, kind) for producer, reactions in DECLARED for kind in emitted(reactions)}
    return entry_nodes() | answers


@cache
def expected_edges() -> frozenset[Edge]:
    """Every (cause, effect) the declarations allow: each may happen, none must."""
    return frozenset(
        (cause, (producer, effect))
        for producer, reactions in DECLARED
        for cause_type, effects in reactions.items()
        for cause in nodes()
        if cause[1] == cause_type
        for effect in effects
    )


@cache
def expected_names() -> frozenset[str]:
    """The expected edges as the map names them, `cause -> effect`."""
    return frozenset(f"{named(cause)}{ARROW}{named(effect)}" for cause, effect in expected_edges())


def terminal_types() -> frozenset[str]:
    """The outcomes: a workflow ends with one of them."""
    return frozenset(OUTCOMES)


def distances() -> dict[Node, int]:
    """How many causes each node is from an entry: the order in which the diagram lists them."""
    distance = dict.fromkeys(entry_nodes(), 0)
    reached = sorted(entry_nodes())
    while reached:
        following = sorted({e for c, e in expected_edges() if c in reached} - distance.keys())
        distance.update({node: distance[reached[0]] + 1 for node in following})
        reached = following
    return distance


def mermaid() -> str:
    """The expected graph as a Mermaid flowchart, each service's events in a box of its own."""
    distance = distances()

    def listed(node: Node) -> tuple[int, str]:
        return distance.get(node, len(distance)), node[1]

    lines = ["flowchart LR"]
    for producer in boxes():
        lines.append(f"  subgraph {producer}")
        members = sorted((node for node in nodes() if node[0] == producer), key=listed)
        lines += [f"    {shaped(node)}" for node in members]
        lines.append("  end")
    edges = sorted(expected_edges(), key=lambda edge: (listed(edge[0]), listed(edge[1])))
    lines += [f"  {node_id(cause)} --> {node_id(effect)}" for cause, effect in edges]
    return "\n".join(lines) + "\n"


def boxes() -> list[str]:
    # Orders' box holds both the entries and the outcomes, so it spans the whole flow: drawn
    # last, it lies along one side of the others and fewer arrows cross it.
    producers = [producer for producer, _ in DECLARED]
    return sorted(producers, key=lambda producer: producer == orders.PRODUCER)


def node_id(node: Node) -> str:
    producer, event_type = node
    return f"{producer}_{event_type}"


def shaped(node: Node) -> str:
    """Entries rounded, outcomes framed twice, every other event a plain box."""
    label = node[1]
    if node in entry_nodes():
        return f'{node_id(node)}(["{label}"])'
    if label in terminal_types():
        return f'{node_id(node)}[["{label}"]]'
    return f'{node_id(node)}["{label}"]'


COMMAND = "python -m eventcollab.flowmap.declared --write"
BEGIN = "<!-- flow diagram: generated by python -m eventcollab.flowmap.declared -->"
END = "<!-- end of flow diagram -->"
LEGEND = (
    "The same flow, drawn from what each service declares next to its decision (`REACTIONS`):\n"
    "an arrow goes from an event to the events it may cause; rounded, the events taken over\n"
    "HTTP; framed twice, the outcomes."
)


def block() -> str:
    """What README.md holds between its two markers."""
    return f"{LEGEND}\n\n```mermaid\n{mermaid()}```\n"


def between_markers(text: str) -> str | None:
    """The text between the markers, or None when either is missing."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(BEGIN) : end]


def with_diagram(text: str) -> str:
    """`text` with the generated block between its markers; ValueError when they are missing."""
    if between_markers(text) is None:
        raise ValueError(f"no {BEGIN} ... {END} markers, in this order")
    start, end = text.find(BEGIN) + len(BEGIN), text.find(END)
    return f"{text[:start]}\n{block()}{text[end:]}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eventcollab.flowmap.declared",
        description="Print the workflow diagram drawn from what the services declare.",
    )
    parser.add_argument("--write", action="store_true", help="put it in the README instead")
    parser.add_argument("--readme", type=Path, default=Path("README.md"), help="%(default)s")
    arguments = parser.parse_args(argv)
    if not arguments.write:
        sys.stdout.write(block())
        return 0
    readme: Path = arguments.readme
    try:
        readme.write_text(with_diagram(readme.read_text()))
    except (OSError, ValueError) as failed:
        print(f"{readme}: {failed}", file=sys.stderr)
        return 1
    print(f"{readme}: flow diagram written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
