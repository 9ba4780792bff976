"""Shipping service: schedules a shipment once the stock of an order is reserved."""

from typing import Any

from eventcollab.agents import now, react
from eventcollab.domain import Decision, shipping
from eventcollab.models import Event
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import INVENTORY, Topics, channel


def install(app: Any, settings: Settings, topics: Topics) -> Any:
    table = state_table(app, settings, "shipments")

    def decide(shipment: shipping.Shipment | None, event: Event) -> Decision[shipping.Shipment]:
        return shipping.decide(shipment, event, now())

    @app.agent(channel(app, settings, INVENTORY), name="shipping")
    async def shipping_service(stream: Any) -> None:
        await react(stream, table, shipping.Shipment, decide, topics.shipments)

    return shipping_service
