"""Shipping: one shipment per order whose stock is reserved."""

from builders import T0, at, authorized, reserved

from eventcollab.domain import Decision, shipping
from eventcollab.domain.shipping import Shipment
from eventcollab.models import ShipmentScheduled, derived_id


def test_reserved_stock_schedules_one_shipment() -> None:
    stock = reserved(authorized())

    decision = shipping.decide(None, stock, T0)

    (event,) = decision.events
    assert isinstance(event, ShipmentScheduled)
    assert event.shipment_id == derived_id(stock.event_id, "shipment")
    assert event.event_id == derived_id(stock.event_id, "ShipmentScheduled")
    assert event.causation_id == stock.event_id
    assert event.producer == "shipping"
    assert decision.state == Shipment(shipment_id=event.shipment_id)


def test_redelivered_stock_reserved_schedules_nothing_more() -> None:
    stock = reserved(authorized())
    state = shipping.decide(None, stock, T0).state

    assert shipping.decide(state, stock, at(1)) == Decision()


def test_events_other_than_stock_reserved_schedule_nothing() -> None:
    assert shipping.decide(None, authorized(), T0) == Decision()
