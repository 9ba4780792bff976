"""The tracker's fold: where a workflow stands, from the events seen for its correlation id.

    OrderPlaced ─▶ payments ─┬─ PaymentDeclined ─▶ orders ─▶ OrderRejected         (rejected)
                             └─ PaymentAuthorized ─▶ inventory
                                   ├─ StockReserved ─▶ shipping ─▶ ShipmentScheduled
                                   │                     ─▶ orders ─▶ OrderCompleted  (completed)
                                   └─ [StockReleased] StockUnavailable ─▶ payments
                                         ─▶ PaymentRefunded ─▶ orders ─▶ OrderCancelled (cancelled)

    CancelRequested or StepOverdue ─▶ orders ─▶ OrderCancelling                   (compensating)
        ─▶ payments ─▶ PaymentRefunded or PaymentVoided ─┐
        ─▶ inventory ─▶ StockReleased ────────────────────┴─▶ orders ─▶ OrderCancelled (cancelled)
        ─▶ shipping: a shipment scheduled late is cancelled (ShipmentCancelled)

The tracker reads four topics whose partitions it consumes at their own pace, so events of one
workflow may arrive out of causal order. Status and the awaited step therefore depend on the set of
events seen, never on which came last, and the timeline is kept sorted by occurrence: the same
events give the same state in any order.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Literal
from uuid import UUID

from eventcollab.models import Event, Frozen, Order

Status = Literal["in_progress", "compensating", "completed", "rejected", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"completed", "rejected", "cancelled"})

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
RELEASE = Step(service="inventory", action="release the stock")

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
THEN: dict[Step, Step] = {
    AUTHORIZE: RESERVE,
    RESERVE: SCHEDULE,
    SCHEDULE: COMPLETE,
    REFUND: CANCEL,
    RELEASE: CANCEL,
}
# The answers to a cancellation (caused by OrderCancelling), and the step each one ends.
ANSWERS: dict[str, Step] = {
    "PaymentRefunded": REFUND,
    "PaymentVoided": REFUND,
    "StockReleased": RELEASE,
}
# Effects that a cancelled order must not keep: after the cancellation they are late.
EFFECTS = frozenset({"PaymentAuthorized", "StockReserved", "ShipmentScheduled"})


class TimelineEntry(Frozen):
    event_type: str
    producer: str
    event_id: UUID
    causation_id: UUID | None
    occurred_at: datetime
    # The tracker's clock when it recorded the step (None in a fold that did not record it).
    recorded_at: datetime | None = None
    # An effect that happened after the order's cancellation began (undone, or refused).
    late: bool = False
    # The event's own reason and timed-out step, when it has them: what the status as of a
    # time needs to say why (states stored before these fields decode with None).
    reason: str | None = None
    timed_out: str | None = None


class WorkflowState(Frozen):
    correlation_id: str
    status: Status
    waiting_for: Step | None
    order: Order
    timeline: tuple[TimelineEntry, ...]
    # Why the order was rejected or cancelled, and the step whose deadline passed, if one did.
    reason: str | None = None
    timed_out: str | None = None


def apply(
    state: WorkflowState | None, event: Event, recorded_at: datetime | None = None
) -> WorkflowState | None:
    """The state after `event` (recorded at `recorded_at`), or None when it was seen already."""
    return applied(state, entry_for(event, recorded_at), event.correlation_id, event.order)


def applied(
    state: WorkflowState | None, entry: TimelineEntry, correlation_id: str, order: Order
) -> WorkflowState | None:
    """The state after the step `entry` of the workflow, or None when it was seen already."""
    timeline = state.timeline if state is not None else ()
    event_id = entry.event_id
    if any(seen.event_id == event_id for seen in timeline):
        return None
    timeline = inserted(timeline, entry)
    seen = {seen.event_type for seen in timeline}
    if "OrderCancelling" in seen:
        timeline = marked_late(timeline)
    reason, timed_out = explained(state, entry)
    status = status_of(seen)
    return WorkflowState(
        correlation_id=correlation_id,
        status=status,
        waiting_for=waiting_for(status, seen, timeline),
        order=order,
        timeline=timeline,
        reason=reason,
        timed_out=timed_out,
    )


def as_of(state: WorkflowState, instant: datetime) -> WorkflowState | None:
    """The state the tracker would have stored had it seen only the steps that occurred at or
    before `instant` (None when none had): the same fold, over the timeline's entries."""
    return refolded(state, lambda entry: entry.occurred_at <= instant)


def refolded(state: WorkflowState, kept: Callable[[TimelineEntry], bool]) -> WorkflowState | None:
    """The state the tracker would have stored had it seen only the `kept` steps (None when it
    keeps none), folded again so that status, awaited step and late marks follow from them."""
    folded: WorkflowState | None = None
    for entry in state.timeline:
        if kept(entry):
            # Late marks are the fold's to make again, from the steps it has seen.
            fresh = entry.model_copy(update={"late": False}) if entry.late else entry
            folded = applied(folded, fresh, state.correlation_id, state.order) or folded
    return folded


def explained(state: WorkflowState | None, entry: TimelineEntry) -> tuple[str | None, str | None]:
    """The reason and timed-out step after the step `entry`: an outcome's reason wins over the
    cancellation's, whichever of them is read first."""
    reason = state.reason if state is not None else None
    timed_out = state.timed_out if state is not None else None
    concluded = state is not None and state.status in TERMINAL
    if entry.event_type in OUTCOMES or (entry.event_type == "OrderCancelling" and not concluded):
        reason = entry.reason if entry.reason is not None else reason
        timed_out = entry.timed_out or timed_out
    return reason, timed_out


def marked_late(timeline: tuple[TimelineEntry, ...]) -> tuple[TimelineEntry, ...]:
    began = min(e.occurred_at for e in timeline if e.event_type == "OrderCancelling")
    return tuple(
        entry.model_copy(update={"late": True})
        if entry.event_type in EFFECTS and entry.occurred_at > began and not entry.late
        else entry
        for entry in timeline
    )


def inserted(
    timeline: tuple[TimelineEntry, ...], entry: TimelineEntry
) -> tuple[TimelineEntry, ...]:
    """The sorted timeline with `entry` in its place. Steps are mostly read in the order they
    occurred, so the place is looked for from the end."""
    place, after = len(timeline), occurrence(entry)
    while place > 0 and occurrence(timeline[place - 1]) > after:
        place -= 1
    return (*timeline[:place], entry, *timeline[place:])


def occurrence(entry: TimelineEntry) -> tuple[datetime, str, int]:
    # Ties (one decision publishing two events) are broken by type and id, so that the same
    # events give the same timeline whatever order they are read in. The id as a number orders
    # as its text does (fixed-width hex), without making the text at every sort.
    return entry.occurred_at, entry.event_type, entry.event_id.int


def entry_for(event: Event, recorded_at: datetime | None = None) -> TimelineEntry:
    # Read from the fields, not with getattr: on a pydantic model a missing attribute is an
    # exception raised and caught, which cost two fifths of this function in the tracker.
    fields = event.__dict__
    return TimelineEntry(
        event_type=event.event_type,
        producer=event.producer,
        event_id=event.event_id,
        causation_id=event.causation_id,
        occurred_at=event.occurred_at,
        recorded_at=recorded_at,
        reason=fields.get("reason"),
        timed_out=fields.get("timed_out"),
    )


def status_of(seen: set[str]) -> Status:
    concluded = next((OUTCOMES[kind] for kind in OUTCOMES if kind in seen), None)
    if concluded is not None:
        return concluded
    return "compensating" if "OrderCancelling" in seen else "in_progress"


def waiting_for(status: Status, seen: set[str], timeline: tuple[TimelineEntry, ...]) -> Step | None:
    """The awaited step of a workflow with this status (`status_of(seen)`), events and timeline."""
    if status == "compensating":
        return compensation_step(timeline)
    if status != "in_progress":
        return None
    return next((step for kind, step in NEXT_STEP if kind in seen), FIRST_STEP)


def compensation_step(timeline: tuple[TimelineEntry, ...]) -> Step:
    """The first answer to the cancellation still missing, or orders' conclusion."""
    cancellations = {e.event_id for e in timeline if e.event_type == "OrderCancelling"}
    answered = {
        ANSWERS[e.event_type]
        for e in timeline
        if e.event_type in ANSWERS and e.causation_id in cancellations
    }
    return next((step for step in (REFUND, RELEASE) if step not in answered), CANCEL)


def waiting_since(state: WorkflowState) -> TimelineEntry | None:
    """The event that started the step an order in progress waits for (None if none waits)."""
    if state.status != "in_progress" or state.waiting_for is None:
        return None
    waiting = state.waiting_for
    kinds = {"OrderPlaced"} if waiting == FIRST_STEP else {k for k, s in NEXT_STEP if s == waiting}
    started = [entry for entry in state.timeline if entry.event_type in kinds]
    return started[0] if started else None


def expected_steps(waiting: Step | None) -> tuple[Step, ...]:
    """The steps still to come, from the awaited one to the outcome, if each goes as asked."""
    steps: list[Step] = []
    while waiting is not None:
        steps.append(waiting)
        waiting = THEN.get(waiting)
    return tuple(steps)
