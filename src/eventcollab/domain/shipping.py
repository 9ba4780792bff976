"""Shipping: schedule one shipment for each order whose stock is reserved."""

from datetime import datetime
from uuid import UUID

from eventcollab.domain import Decision, follow_up
from eventcollab.models import Event, Frozen, ShipmentScheduled, StockReserved, derived_id

PRODUCER = "shipping"


class Shipment(Frozen):
    shipment_id: UUID


# The events `decide` may act on; it passes over every other (the tests hold it to this).
REACTS_TO = frozenset({"StockReserved"})


def decide(shipment: Shipment | None, event: Event, now: datetime) -> Decision[Shipment]:
    if shipment is not None or not isinstance(event, StockReserved):
        return Decision()
    shipment_id = derived_id(event.event_id, "shipment")
    scheduled = follow_up(event, ShipmentScheduled, PRODUCER, now, shipment_id=shipment_id)
    return Decision(Shipment(shipment_id=shipment_id), (scheduled,))
