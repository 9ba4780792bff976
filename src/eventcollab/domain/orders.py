"""Orders: conclude each order once, from the outcome the other services report."""

from datetime import datetime
from typing import Literal

from eventcollab.domain import Decision, follow_up
from eventcollab.models import (
    Event,
    Frozen,
    OrderCancelled,
    OrderCompleted,
    OrderRejected,
    PaymentDeclined,
    PaymentRefunded,
    ShipmentScheduled,
)

PRODUCER = "orders"


class OrderOutcome(Frozen):
    status: Literal["completed", "rejected", "cancelled"]


# The events `decide` may act on; it passes over every other (the tests hold it to this).
REACTS_TO = frozenset({"ShipmentScheduled", "PaymentDeclined", "PaymentRefunded"})


def decide(outcome: OrderOutcome | None, event: Event, now: datetime) -> Decision[OrderOutcome]:
    if outcome is not None:
        return Decision()  # an order is concluded once; later news changes nothing
    if isinstance(event, ShipmentScheduled):
        done = follow_up(event, OrderCompleted, PRODUCER, now, shipment_id=event.shipment_id)
        return Decision(OrderOutcome(status="completed"), (done,))
    if isinstance(event, PaymentDeclined):
        rejected = follow_up(event, OrderRejected, PRODUCER, now, reason=event.reason)
        return Decision(OrderOutcome(status="rejected"), (rejected,))
    if isinstance(event, PaymentRefunded):
        reason = f"out of stock, payment refunded ({event.reason})"
        cancelled = follow_up(event, OrderCancelled, PRODUCER, now, reason=reason)
        return Decision(OrderOutcome(status="cancelled"), (cancelled,))
    return Decision()
