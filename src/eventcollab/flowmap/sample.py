"""A generated flow map, to look at its drawing without a broker (flowmap.drawing's main).

A thousand workflows of the usual paths in realistic proportions, a few that deviate (a step
no service declares, an event type no service declares), and some still waiting. Seeded: the
same map every time.
"""

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import share_of
from eventcollab.workflow import TimelineEntry

# A causation tree: a node (`producer/EventType`) and the trees of what it caused.
Tree = tuple[str, tuple["Tree", ...]]


def chain(*nodes: str) -> Tree:
    tree: Tree = (nodes[-1], ())
    for node in reversed(nodes[:-1]):
        tree = (node, (tree,))
    return tree


PLACED, AUTHORIZED = "orders/OrderPlaced", "payments/PaymentAuthorized"
RESERVED, SCHEDULED = "inventory/StockReserved", "shipping/ShipmentScheduled"
CANCELLING = "orders/OrderCancelling"
# (weight, roots of the causation trees, still waiting after its last event)
VARIANTS: tuple[tuple[int, tuple[Tree, ...], bool], ...] = (
    (600, (chain(PLACED, AUTHORIZED, RESERVED, SCHEDULED, "orders/OrderCompleted"),), False),
    (150, (chain(PLACED, "payments/PaymentDeclined", "orders/OrderRejected"),), False),
    (
        80,
        (
            chain(
                PLACED,
                AUTHORIZED,
                "inventory/StockUnavailable",
                "payments/PaymentRefunded",
                "orders/OrderCancelled",
            ),
        ),
        False,
    ),
    (
        60,
        (
            chain(PLACED, AUTHORIZED),
            (
                "orders/CancelRequested",
                (
                    (
                        CANCELLING,
                        (
                            chain("payments/PaymentRefunded", "orders/OrderCancelled"),
                            ("inventory/StockReleased", ()),
                        ),
                    ),
                ),
            ),
        ),
        False,
    ),
    (
        40,
        (
            chain(
                PLACED,
                "tracker/StepOverdue",
                CANCELLING,
                "payments/PaymentVoided",
                "orders/OrderCancelled",
            ),
        ),
        False,
    ),
    (30, (chain(PLACED, AUTHORIZED),), True),
    (20, (chain(PLACED, AUTHORIZED, RESERVED),), True),
    (12, (chain(PLACED, AUTHORIZED, SCHEDULED, "orders/OrderCompleted"),), False),
    (8, (chain(PLACED, AUTHORIZED, RESERVED, "shipping/ShipmentDelayed"),), False),
)
WORKFLOWS = 1000
START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
# Typical ms from a cause to an effect, by the effect's producer; the tracker waits 15 min.
HOPS = {"payments": (5, 40), "inventory": (10, 60), "shipping": (20, 120), "orders": (2, 15)}
OVERDUE = (900_000, 905_000)


def generated(seed: int = 10) -> tuple[FlowMap, dict[str, int]]:
    """The map of WORKFLOWS workflows, and per node the workflows waiting after it too long."""
    chance = random.Random(seed)
    weights = [weight for weight, _, _ in VARIANTS]
    shares, stuck = [], dict[str, int]()
    for _ in range(WORKFLOWS):
        (_, roots, waiting), *_ = chance.choices(VARIANTS, weights)
        shares.append(share_of(timeline_of(roots, chance)))
        if waiting:
            last = last_of(roots[-1])
            stuck[last] = stuck.get(last, 0) + 1
    return map_of_shares(shares), dict(sorted(stuck.items()))


def last_of(tree: Tree) -> str:
    node, below = tree
    return last_of(below[-1]) if below else node


def timeline_of(
    roots: tuple[Tree, ...],
    chance: random.Random,
    hop: Callable[[str, random.Random], float] | None = None,
    spacing_ms: float = 500,
) -> list[TimelineEntry]:
    """The events of one workflow with these causation trees, each `hop(effect's producer)` ms
    after its cause (realistic per producer unless given), roots `spacing_ms` apart."""
    delay = hop or realistic
    entries: list[TimelineEntry] = []

    def walk(tree: Tree, cause: TimelineEntry | None, at: datetime) -> None:
        node, below = tree
        producer, event_type = node.split("/")
        entry = TimelineEntry(
            event_type=event_type,
            producer=producer,
            event_id=UUID(int=chance.getrandbits(128)),
            causation_id=cause.event_id if cause else None,
            occurred_at=at,
        )
        entries.append(entry)
        for effect in below:
            ms = delay(effect[0].split("/")[0], chance)
            walk(effect, entry, at + timedelta(milliseconds=ms))

    for number, root in enumerate(roots):
        walk(root, None, START + timedelta(milliseconds=spacing_ms * number))
    return entries


def realistic(producer: str, chance: random.Random) -> float:
    low, high = OVERDUE if producer == "tracker" else HOPS[producer]
    return chance.uniform(low, high)
