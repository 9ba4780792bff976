"""Workflows generated from known causation trees, with random times and arrival orders."""

import random
from collections import Counter
from datetime import timedelta
from uuid import UUID

from eventcollab.flowmap import sample
from eventcollab.flowmap.sample import START, Tree, chain
from eventcollab.models import Order, OrderLine
from eventcollab.workflow import Status, TimelineEntry, WorkflowState

COMPLETED: tuple[Tree, ...] = (
    chain(
        "orders/OrderPlaced",
        "payments/PaymentAuthorized",
        "inventory/StockReserved",
        "shipping/ShipmentScheduled",
        "orders/OrderCompleted",
    ),
)
REJECTED: tuple[Tree, ...] = (
    chain("orders/OrderPlaced", "payments/PaymentDeclined", "orders/OrderRejected"),
)
# A customer's cancel (a root of its own) while the order waits for its stock: the refund and the
# release run at once, each caused by OrderCancelling.
CANCELLED: tuple[Tree, ...] = (
    chain("orders/OrderPlaced", "payments/PaymentAuthorized"),
    (
        "orders/CancelRequested",
        (
            (
                "orders/OrderCancelling",
                (
                    chain("payments/PaymentRefunded", "orders/OrderCancelled"),
                    ("inventory/StockReleased", ()),
                ),
            ),
        ),
    ),
)
PATHS = {"completed": COMPLETED, "rejected": REJECTED, "cancelled": CANCELLED}


def timeline_of(roots: tuple[Tree, ...], chance: random.Random) -> list[TimelineEntry]:
    """The workflow's events, each 1-80 ms after its cause, in a random arrival order."""
    entries = sample.timeline_of(roots, chance, lambda _, c: c.uniform(1, 80), spacing_ms=300)
    chance.shuffle(entries)
    return entries


def links_of(roots: tuple[Tree, ...]) -> tuple[Counter[str], Counter[str]]:
    """The nodes and the `cause -> effect` edges of the trees, counted."""
    nodes: Counter[str] = Counter()
    edges: Counter[str] = Counter()

    def walk(tree: Tree) -> None:
        node, below = tree
        nodes[node] += 1
        for effect in below:
            edges[f"{node} -> {effect[0]}"] += 1
            walk(effect)

    for root in roots:
        walk(root)
    return nodes, edges


ORDER = Order.of("ann", (OrderLine(sku="PEN", quantity=1, unit_price=2),))


def state_of(correlation_id: str, status: Status, timeline: list[TimelineEntry]) -> WorkflowState:
    """A workflow as the tracker stores it, with these events (the order is a placeholder)."""
    return WorkflowState(
        correlation_id=correlation_id,
        status=status,
        waiting_for=None,
        order=ORDER,
        timeline=tuple(timeline),
    )


def entry(kind: str, producer: str, number: int, cause: int | None, ms: float) -> TimelineEntry:
    return TimelineEntry(
        event_type=kind,
        producer=producer,
        event_id=UUID(int=number),
        causation_id=None if cause is None else UUID(int=cause),
        occurred_at=START + timedelta(milliseconds=ms),
    )


# A workflow with skewed, doubled and orphaned events, and a second, earlier start.
ODD = [  # skewed, doubled and orphaned events, and a second, earlier start
    entry("OrderPlaced", "orders", 1, None, 100),
    entry("PaymentAuthorized", "payments", 2, 1, 90),
    entry("PaymentAuthorized", "payments", 3, 1, 130),
    entry("StockReserved", "inventory", 4, 3, 150),
    entry("ShipmentScheduled", "shipping", 5, 99, 400),
    entry("OrderPlaced", "orders", 6, None, 50),
]
