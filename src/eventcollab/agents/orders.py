"""Orders service: concludes each order from what payments and shipping report."""

from typing import Any

from eventcollab.agents import now, react
from eventcollab.domain import Decision, orders
from eventcollab.models import Event
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import PAYMENTS, SHIPMENTS, Topics, channel
from eventcollab.web import install_order_intake


def install(app: Any, settings: Settings, topics: Topics) -> Any:
    table = state_table(app, settings, "order_outcomes")
    install_order_intake(app, settings, topics.orders)

    def decide(outcome: orders.OrderOutcome | None, event: Event) -> Decision[orders.OrderOutcome]:
        return orders.decide(outcome, event, now())

    @app.agent(channel(app, settings, PAYMENTS, SHIPMENTS), name="orders")
    async def orders_service(stream: Any) -> None:
        await react(stream, table, orders.OrderOutcome, decide, topics.orders)

    return orders_service
