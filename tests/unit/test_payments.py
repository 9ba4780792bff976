"""Payments: authorize up to the limit, decline above it, refund once when stock fails."""

from decimal import Decimal

from builders import LIMIT, T0, at, authorized, line, order, order_placed, unavailable

from eventcollab.domain import Decision, payments
from eventcollab.domain.payments import Payment
from eventcollab.models import PaymentAuthorized, PaymentDeclined, PaymentRefunded, derived_id


def test_an_order_under_the_limit_is_authorized_with_ids_derived_from_the_order() -> None:
    placed = order_placed(order(line(quantity=3, unit_price="10.00")))

    decision = payments.decide(None, placed, LIMIT, T0)

    (event,) = decision.events
    assert isinstance(event, PaymentAuthorized)
    assert event.event_id == derived_id(placed.event_id, "PaymentAuthorized")
    assert event.causation_id == placed.event_id
    assert event.correlation_id == placed.correlation_id
    assert event.order == placed.order
    assert event.amount == Decimal("30.00")
    assert event.producer == "payments"
    assert decision.state == Payment(
        payment_id=event.payment_id, amount=event.amount, status="authorized"
    )


def test_an_order_exactly_at_the_limit_is_authorized() -> None:
    placed = order_placed(order(line(quantity=1, unit_price="1000.00")))

    decision = payments.decide(None, placed, Decimal("1000.00"), T0)

    assert [type(e) for e in decision.events] == [PaymentAuthorized]
    assert decision.state is not None and decision.state.status == "authorized"


def test_an_order_over_the_limit_is_declined() -> None:
    placed = order_placed(order(line(quantity=1, unit_price="1000.01")))

    decision = payments.decide(None, placed, LIMIT, T0)

    (event,) = decision.events
    assert isinstance(event, PaymentDeclined)
    assert event.event_id == derived_id(placed.event_id, "PaymentDeclined")
    assert event.causation_id == placed.event_id
    assert event.amount == Decimal("1000.01")
    assert decision.state == Payment(payment_id=None, amount=Decimal("1000.01"), status="declined")


def test_a_redelivered_order_placed_is_not_charged_again() -> None:
    placed = order_placed()
    for limit in (LIMIT, Decimal("0.01")):  # once authorized, once declined
        state = payments.decide(None, placed, limit, T0).state

        assert payments.decide(state, placed, limit, at(1)) == Decision()


def test_stock_unavailable_after_authorization_refunds_the_payment_once() -> None:
    placed = order_placed()
    state = payments.decide(None, placed, LIMIT, T0).state
    missing = unavailable(authorized(placed))

    decision = payments.decide(state, missing, LIMIT, at(1))

    (event,) = decision.events
    assert isinstance(event, PaymentRefunded)
    assert state is not None and event.payment_id == state.payment_id
    assert event.amount == state.amount
    assert event.causation_id == missing.event_id
    assert decision.state == state.model_copy(update={"status": "refunded"})


def test_a_second_stock_unavailable_refunds_nothing() -> None:
    placed = order_placed()
    state = payments.decide(None, placed, LIMIT, T0).state
    missing = unavailable(authorized(placed))
    refunded = payments.decide(state, missing, LIMIT, at(1)).state

    assert payments.decide(refunded, missing, LIMIT, at(2)) == Decision()


def test_stock_unavailable_without_an_authorized_payment_refunds_nothing() -> None:
    placed = order_placed()
    missing = unavailable(authorized(placed))
    declined_state = payments.decide(None, placed, Decimal("0.01"), T0).state

    assert payments.decide(None, missing, LIMIT, at(1)) == Decision()
    assert payments.decide(declined_state, missing, LIMIT, at(1)) == Decision()


def test_deciding_twice_from_the_same_inputs_gives_identical_events() -> None:
    placed = order_placed()
    state = payments.decide(None, placed, LIMIT, T0).state
    missing = unavailable(authorized(placed))

    assert payments.decide(None, placed, LIMIT, T0) == payments.decide(None, placed, LIMIT, T0)
    assert payments.decide(state, missing, LIMIT, T0) == payments.decide(state, missing, LIMIT, T0)
