"""Shipping service: schedules a shipment once the stock of an order is reserved, and cancels
it when the order is cancelled."""

from eventcollab.agents import reacting
from eventcollab.clock import now
from eventcollab.domain import Decision, shipping
from eventcollab.models import Event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.sweep import sweeping
from eventcollab.topics import Topics


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    def decide(shipment: shipping.Shipment | None, event: Event) -> Decision[shipping.Shipment]:
        return shipping.decide(shipment, event, now())

    handler = reacting("shipments", shipping.Shipment, decide, topics.shipments, shipping.REACTS_TO)
    return [
        ProcessorSpec(
            "shipping",
            (topics.inventory, topics.cancellations),
            handler,
            ("shipments",),
            tick=sweeping(settings, {"shipments": shipping.Shipment}),
            tick_seconds=settings.state_retention_check_seconds,
        )
    ]
