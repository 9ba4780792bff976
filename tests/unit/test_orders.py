"""Orders: conclude each order once, from what payments and shipping report."""

from builders import T0, at, authorized, declined, order_placed, out_of_stock_path, reserved

from eventcollab.domain import Decision, orders, shipping
from eventcollab.domain.orders import OrderOutcome
from eventcollab.models import (
    OrderCancelled,
    OrderCompleted,
    OrderRejected,
    ShipmentScheduled,
    derived_id,
)


def test_a_scheduled_shipment_completes_the_order() -> None:
    (scheduled,) = shipping.decide(None, reserved(authorized()), T0).events
    assert isinstance(scheduled, ShipmentScheduled)

    decision = orders.decide(None, scheduled, at(1))

    (event,) = decision.events
    assert isinstance(event, OrderCompleted)
    assert event.shipment_id == scheduled.shipment_id
    assert event.event_id == derived_id(scheduled.event_id, "OrderCompleted")
    assert event.causation_id == scheduled.event_id
    assert decision.state == OrderOutcome(status="completed")


def test_a_declined_payment_rejects_the_order() -> None:
    refusal = declined(order_placed())

    decision = orders.decide(None, refusal, T0)

    (event,) = decision.events
    assert isinstance(event, OrderRejected)
    assert event.reason == refusal.reason
    assert event.causation_id == refusal.event_id
    assert decision.state == OrderOutcome(status="rejected", reason=refusal.reason)


def test_a_refunded_payment_cancels_the_order() -> None:
    refunded = out_of_stock_path()[3]

    decision = orders.decide(None, refunded, T0)

    (event,) = decision.events
    assert isinstance(event, OrderCancelled)
    assert event.causation_id == refunded.event_id
    assert "out of stock" in event.reason
    assert decision.state == OrderOutcome(status="cancelled", reason=event.reason)


def test_a_concluded_order_ignores_any_further_event() -> None:
    refunded = out_of_stock_path()[3]
    (scheduled,) = shipping.decide(None, reserved(authorized()), T0).events
    refusal = declined(order_placed())

    outcomes = [
        OrderOutcome(status="completed"),
        OrderOutcome(status="rejected"),
        OrderOutcome(status="cancelled"),
    ]
    for outcome in outcomes:
        for event in (scheduled, refusal, refunded):
            assert orders.decide(outcome, event, T0) == Decision()


def test_an_authorized_payment_concludes_nothing() -> None:
    assert orders.decide(None, authorized(), T0) == Decision()
