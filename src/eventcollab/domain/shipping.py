"""Shipping: schedule one shipment for each order whose stock is reserved, and cancel it when
the order is cancelled."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from eventcollab.domain import Dated, Decision, Reactions, emitted, follow_up
from eventcollab.models import (
    Event,
    OrderCancelling,
    ShipmentCancelled,
    ShipmentScheduled,
    StockReserved,
    derived_id,
)

PRODUCER = "shipping"


class Shipment(Dated):
    shipment_id: UUID | None
    status: Literal["scheduled", "cancelled"] = "scheduled"


# What `decide` may publish for each event it acts on; it passes over every other (the tests
# hold it to both).
REACTIONS: Reactions = {
    "StockReserved": frozenset({"ShipmentScheduled"}),
    "OrderCancelling": frozenset({"ShipmentCancelled"}),
}
REACTS_TO = frozenset(REACTIONS)
EMITS = emitted(REACTIONS)


def decide(shipment: Shipment | None, event: Event, now: datetime) -> Decision[Shipment]:
    if isinstance(event, OrderCancelling):
        return cancel(shipment, event, now)
    if shipment is not None or not isinstance(event, StockReserved):
        return Decision()  # scheduled once; never for an order cancelled before its stock came
    shipment_id = derived_id(event.event_id, "shipment")
    scheduled = follow_up(event, ShipmentScheduled, PRODUCER, now, shipment_id=shipment_id)
    return Decision(Shipment(shipment_id=shipment_id), (scheduled,))


def cancel(shipment: Shipment | None, event: OrderCancelling, now: datetime) -> Decision[Shipment]:
    """Cancel the order's shipment if there is one; either way, schedule none for it later.

    StockReserved comes on `inventory` and the cancellation on `orders`, read at their own
    pace: a shipment scheduled before the cancellation arrived is cancelled here, and a
    reservation that arrives after it finds the order closed.
    """
    if shipment is not None and shipment.status == "cancelled":
        return Decision()
    closed = Shipment(shipment_id=None, status="cancelled")
    if shipment is None or shipment.shipment_id is None:
        return Decision(closed)
    cancelled = follow_up(event, ShipmentCancelled, PRODUCER, now, shipment_id=shipment.shipment_id)
    return Decision(closed.model_copy(update={"shipment_id": shipment.shipment_id}), (cancelled,))
