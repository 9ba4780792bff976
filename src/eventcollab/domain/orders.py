"""Orders: conclude each order once, from the outcome the other services report; cancel it on
a customer's request or a missed deadline, and conclude the cancellation once every service
that may hold something for it has answered."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventcollab.domain import Dated, Decision, Reactions, emitted, follow_up
from eventcollab.models import (
    CancelRequested,
    Event,
    OrderCancelled,
    OrderCancelling,
    OrderCompleted,
    OrderRejected,
    PaymentDeclined,
    PaymentRefunded,
    ShipmentScheduled,
    StepOverdue,
)

PRODUCER = "orders"

# Who must answer a cancellation before the order is cancelled: what they may hold (a payment,
# reserved stock) is undone first. Shipping is not waited for: a shipment is scheduled only once
# stock is reserved, and an order with a shipment is completed already, so it cannot be
# cancelled; a shipment scheduled late is cancelled by shipping itself (see domain.shipping).
ANSWERS: dict[str, str] = {
    "PaymentRefunded": "payments",
    "PaymentVoided": "payments",
    "StockReleased": "inventory",
}
MUST_ANSWER = frozenset(ANSWERS.values())


class OrderOutcome(Dated):
    status: Literal["completed", "rejected", "cancelling", "cancelled"]
    reason: str | None = None
    timed_out: str | None = None
    cancellation: UUID | None = None  # the OrderCancelling being answered
    answered: tuple[str, ...] = ()  # the services that answered it


# The events taken over HTTP (web.orders, web.cancel), not decided: each starts a chain of
# causes (its causation_id is None).
ENTRY_EVENTS = frozenset({"OrderPlaced", "CancelRequested"})

# What `decide` may publish for each event it acts on; it passes over every other (the tests
# hold it to both). An order is concluded from what the others report, and a cancellation by
# whichever of the answers it waits for comes last.
REACTIONS: Reactions = {
    "ShipmentScheduled": frozenset({"OrderCompleted"}),
    "PaymentDeclined": frozenset({"OrderRejected"}),
    "PaymentRefunded": frozenset({"OrderCancelled"}),
    "PaymentVoided": frozenset({"OrderCancelled"}),
    "StockReleased": frozenset({"OrderCancelled"}),
    "StepOverdue": frozenset({"OrderCancelling"}),
    "CancelRequested": frozenset({"OrderCancelling"}),
}
REACTS_TO = frozenset(REACTIONS)
EMITS = emitted(REACTIONS)


def decide(outcome: OrderOutcome | None, event: Event, now: datetime) -> Decision[OrderOutcome]:
    if outcome is None:
        return conclude(event, now)
    if outcome.status == "cancelling":
        return answered(outcome, event, now)
    return Decision()  # an order is concluded once; later news changes nothing


def conclude(event: Event, now: datetime) -> Decision[OrderOutcome]:
    if isinstance(event, ShipmentScheduled):
        done = follow_up(event, OrderCompleted, PRODUCER, now, shipment_id=event.shipment_id)
        return Decision(OrderOutcome(status="completed"), (done,))
    if isinstance(event, PaymentDeclined):
        rejected = follow_up(event, OrderRejected, PRODUCER, now, reason=event.reason)
        return Decision(OrderOutcome(status="rejected", reason=event.reason), (rejected,))
    if isinstance(event, PaymentRefunded):
        reason = f"out of stock, payment refunded ({event.reason})"
        cancelled = follow_up(event, OrderCancelled, PRODUCER, now, reason=reason)
        return Decision(OrderOutcome(status="cancelled", reason=reason), (cancelled,))
    if isinstance(event, CancelRequested):
        return cancel(event, event.reason, None, now)
    if isinstance(event, StepOverdue):
        step = f"{event.service}: {event.action}"
        reason = f"deadline passed: {step} not done within {event.deadline_seconds:g} s"
        return cancel(event, reason, step, now)
    return Decision()


def cancel(
    cause: Event, reason: str, timed_out: str | None, now: datetime
) -> Decision[OrderOutcome]:
    cancelling = follow_up(
        cause, OrderCancelling, PRODUCER, now, reason=reason, timed_out=timed_out
    )
    state = OrderOutcome(
        status="cancelling",
        reason=reason,
        timed_out=timed_out,
        cancellation=cancelling.event_id,
    )
    return Decision(state, (cancelling,))


def answered(outcome: OrderOutcome, event: Event, now: datetime) -> Decision[OrderOutcome]:
    """Count a service's answer to the cancellation; the last one concludes the order."""
    service = ANSWERS.get(event.event_type)
    if service is None or event.causation_id != outcome.cancellation:
        return Decision()  # not an answer to this cancellation (say, a late shipment)
    if service in outcome.answered:
        return Decision()
    answers = tuple(sorted((*outcome.answered, service)))
    if not MUST_ANSWER.issubset(answers):
        return Decision(outcome.model_copy(update={"answered": answers}))
    reason = outcome.reason or "cancelled"
    cancelled = follow_up(
        event, OrderCancelled, PRODUCER, now, reason=reason, timed_out=outcome.timed_out
    )
    state = outcome.model_copy(update={"status": "cancelled", "answered": answers})
    return Decision(state, (cancelled,))
