"""Payments: authorize an order's total up to a limit, and refund it when stock fails or the
order is cancelled."""

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from eventcollab.domain import Dated, Decision, Reactions, emitted, follow_up
from eventcollab.models import (
    Event,
    OrderCancelling,
    OrderPlaced,
    PaymentAuthorized,
    PaymentDeclined,
    PaymentRefunded,
    PaymentVoided,
    StockUnavailable,
    derived_id,
)

PRODUCER = "payments"


class Payment(Dated):
    payment_id: UUID | None
    amount: Decimal
    status: Literal["authorized", "declined", "refunded", "voided"]
    # The cancellation this payment answered: each one is answered once.
    cancellation: UUID | None = None


# What `decide` may publish for each event it acts on; it passes over every other (the tests
# hold it to both).
REACTIONS: Reactions = {
    "OrderPlaced": frozenset({"PaymentAuthorized", "PaymentDeclined"}),
    "StockUnavailable": frozenset({"PaymentRefunded"}),
    "OrderCancelling": frozenset({"PaymentRefunded", "PaymentVoided"}),
}
REACTS_TO = frozenset(REACTIONS)
EMITS = emitted(REACTIONS)


def decide(
    payment: Payment | None, event: Event, limit: Decimal, now: datetime
) -> Decision[Payment]:
    if isinstance(event, OrderPlaced):
        return authorize(payment, event, limit, now)
    if isinstance(event, StockUnavailable):
        return refund(payment, event, now)
    if isinstance(event, OrderCancelling):
        return cancel(payment, event, now)
    return Decision()


def authorize(
    payment: Payment | None, event: OrderPlaced, limit: Decimal, now: datetime
) -> Decision[Payment]:
    if payment is not None:
        return Decision()  # charged or declined once already, or voided by its cancellation
    total = event.order.total
    if total > limit:
        reason = f"order total {total} exceeds the payment limit {limit}"
        declined = follow_up(event, PaymentDeclined, PRODUCER, now, amount=total, reason=reason)
        return Decision(Payment(payment_id=None, amount=total, status="declined"), (declined,))
    authorized = follow_up(
        event,
        PaymentAuthorized,
        PRODUCER,
        now,
        payment_id=derived_id(event.event_id, "payment"),
        amount=total,
    )
    state = Payment(payment_id=authorized.payment_id, amount=total, status="authorized")
    return Decision(state, (authorized,))


def refund(payment: Payment | None, event: StockUnavailable, now: datetime) -> Decision[Payment]:
    if payment is None or payment.status != "authorized" or payment.payment_id is None:
        return Decision()  # nothing was charged, or it was refunded already
    reason = f"{event.sku}: {event.requested} requested, {event.available} available"
    refunded = refund_of(payment, payment.payment_id, event, reason, now)
    return Decision(payment.model_copy(update={"status": "refunded"}), (refunded,))


def refund_of(
    payment: Payment, payment_id: UUID, cause: Event, reason: str, now: datetime
) -> PaymentRefunded:
    return follow_up(
        cause,
        PaymentRefunded,
        PRODUCER,
        now,
        payment_id=payment_id,
        amount=payment.amount,
        reason=reason,
    )


def cancel(payment: Payment | None, event: OrderCancelling, now: datetime) -> Decision[Payment]:
    """Answer a cancellation once: refund what is authorized, else say nothing is to refund.

    The answer is final: a cancellation read before its order (they come on two topics) leaves a
    voided payment, so the order read later is never charged (see `authorize`).
    """
    if payment is not None and payment.cancellation == event.event_id:
        return Decision()  # answered already
    if payment is not None and payment.status == "authorized" and payment.payment_id is not None:
        reason = f"order cancelled: {event.reason}"
        refunded = refund_of(payment, payment.payment_id, event, reason, now)
        state = payment.model_copy(update={"status": "refunded", "cancellation": event.event_id})
        return Decision(state, (refunded,))
    if payment is None:
        reason = "nothing was charged"
        state = Payment(
            payment_id=None, amount=event.order.total, status="voided", cancellation=event.event_id
        )
    else:
        reason = {"declined": "the payment was declined", "refunded": "refunded already"}.get(
            payment.status, "nothing was charged"
        )
        state = payment.model_copy(update={"cancellation": event.event_id})
    voided = follow_up(event, PaymentVoided, PRODUCER, now, reason=reason)
    return Decision(state, (voided,))
