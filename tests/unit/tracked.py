"""Workflows as the tracker stores them: generated timelines (flows) folded by the tracker's own
fold, in their random arrival order, each step recorded 1-50 ms after it occurred."""

import random
from collections.abc import Iterable
from datetime import timedelta

from flows import COMPLETED, ORDER, PATHS, START, timeline_of

from eventcollab.workflow import TimelineEntry, WorkflowState, applied

# The completed path's events in causal order: a workflow cut after the n-th waits at this node.
CHAIN = (
    "orders/OrderPlaced",
    "payments/PaymentAuthorized",
    "inventory/StockReserved",
    "shipping/ShipmentScheduled",
    "orders/OrderCompleted",
)


def tracked(
    correlation_id: str, entries: Iterable[TimelineEntry], chance: random.Random
) -> WorkflowState:
    state: WorkflowState | None = None
    for entry in entries:
        delay = timedelta(milliseconds=chance.uniform(1, 50))
        recorded = entry.model_copy(update={"recorded_at": entry.occurred_at + delay})
        state = applied(state, recorded, correlation_id, ORDER) or state
    assert state is not None
    return state


def shifted(entries: Iterable[TimelineEntry], by: timedelta) -> list[TimelineEntry]:
    return [entry.model_copy(update={"occurred_at": entry.occurred_at + by}) for entry in entries]


def ended(chance: random.Random, count: int, spread: timedelta) -> list[WorkflowState]:
    """`count` finished workflows of the three paths, started at random within `spread` of
    flows.START."""
    states = []
    for number in range(count):
        roots = chance.choice(list(PATHS.values()))
        late = spread * chance.random()
        entries = shifted(timeline_of(roots, chance), late)
        states.append(tracked(f"w{number:04d}-{chance.getrandbits(32):08x}", entries, chance))
    return states


def waiting(
    chance: random.Random, correlation_id: str, after: int, since_ms: float
) -> WorkflowState:
    """A workflow of the completed path that has taken its first `after` steps, the last of them
    (where it waits) `since_ms` after flows.START."""
    entries = sorted(timeline_of(COMPLETED, chance), key=lambda e: e.occurred_at)[:after]
    last = entries[-1].occurred_at
    moved = shifted(entries, START + timedelta(milliseconds=since_ms) - last)
    chance.shuffle(moved)
    return tracked(correlation_id, moved, chance)
