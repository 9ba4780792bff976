"""The tracker's fold: where a workflow stands, from the events seen for its correlation id.

    OrderPlaced ─▶ payments ─┬─ PaymentDeclined ─▶ orders ─▶ OrderRejected         (rejected)
                             └─ PaymentAuthorized ─▶ inventory
                                   ├─ StockReserved ─▶ shipping ─▶ ShipmentScheduled
                                   │                     ─▶ orders ─▶ OrderCompleted  (completed)
                                   └─ [StockReleased] StockUnavailable ─▶ payments
                                         ─▶ PaymentRefunded ─▶ orders ─▶ OrderCancelled (cancelled)

The tracker reads four topics whose partitions it consumes at their own pace, so events of one
workflow may arrive out of causal order. Status and the awaited step therefore depend on the set of
events seen, never on which came last, and the timeline is kept sorted by occurrence: the same
events give the same state in any order.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventcollab.models import Event, Frozen, Order

Status = Literal["in_progress", "completed", "rejected", "cancelled"]

OUTCOMES: dict[str, Status] = {
    "OrderCompleted": "completed",
    "OrderRejected": "rejected",
    "OrderCancelled": "cancelled",
}


class Step(Frozen):
    service: str
    action: str


AUTHORIZE = Step(service="payments", action="authorize the payment")
RESERVE = Step(service="inventory", action="reserve stock")
SCHEDULE = Step(service="shipping", action="schedule the shipment")
COMPLETE = Step(service="orders", action="complete the order")
REJECT = Step(service="orders", action="reject the order")
REFUND = Step(service="payments", action="refund the payment")
CANCEL = Step(service="orders", action="cancel the order")

# The furthest event seen decides the next step; checked from the end of the workflow backwards.
NEXT_STEP: tuple[tuple[str, Step], ...] = (
    ("PaymentRefunded", CANCEL),
    ("StockUnavailable", REFUND),
    ("PaymentDeclined", REJECT),
    ("ShipmentScheduled", COMPLETE),
    ("StockReserved", SCHEDULE),
    ("PaymentAuthorized", RESERVE),
)
FIRST_STEP = AUTHORIZE
# The step that follows a step when it goes as asked; the outcomes' steps end the workflow.
THEN: dict[Step, Step] = {AUTHORIZE: RESERVE, RESERVE: SCHEDULE, SCHEDULE: COMPLETE, REFUND: CANCEL}


class TimelineEntry(Frozen):
    event_type: str
    producer: str
    event_id: UUID
    causation_id: UUID | None
    occurred_at: datetime
    # The tracker's clock when it recorded the step (None in a fold that did not record it).
    recorded_at: datetime | None = None


class WorkflowState(Frozen):
    correlation_id: str
    status: Status
    waiting_for: Step | None
    order: Order
    timeline: tuple[TimelineEntry, ...]


def apply(
    state: WorkflowState | None, event: Event, recorded_at: datetime | None = None
) -> WorkflowState | None:
    """The state after `event` (recorded at `recorded_at`), or None when it was seen already."""
    timeline = state.timeline if state is not None else ()
    if any(entry.event_id == event.event_id for entry in timeline):
        return None
    timeline = tuple(sorted((*timeline, entry_for(event, recorded_at)), key=occurrence))
    seen = {entry.event_type for entry in timeline}
    return WorkflowState(
        correlation_id=event.correlation_id,
        status=status_of(seen),
        waiting_for=waiting_for(seen),
        order=event.order,
        timeline=timeline,
    )


def occurrence(entry: TimelineEntry) -> tuple[datetime, str, str]:
    # Ties (one decision publishing two events) are broken by type and id, so that the same
    # events give the same timeline whatever order they are read in.
    return entry.occurred_at, entry.event_type, str(entry.event_id)


def entry_for(event: Event, recorded_at: datetime | None = None) -> TimelineEntry:
    return TimelineEntry(
        event_type=event.event_type,
        producer=event.producer,
        event_id=event.event_id,
        causation_id=event.causation_id,
        occurred_at=event.occurred_at,
        recorded_at=recorded_at,
    )


def status_of(seen: set[str]) -> Status:
    return next((OUTCOMES[kind] for kind in OUTCOMES if kind in seen), "in_progress")


def waiting_for(seen: set[str]) -> Step | None:
    if status_of(seen) != "in_progress":
        return None
    return next((step for kind, step in NEXT_STEP if kind in seen), FIRST_STEP)


def expected_steps(waiting: Step | None) -> tuple[Step, ...]:
    """The steps still to come, from the awaited one to the outcome, if each goes as asked."""
    steps: list[Step] = []
    while waiting is not None:
        steps.append(waiting)
        waiting = THEN.get(waiting)
    return tuple(steps)
