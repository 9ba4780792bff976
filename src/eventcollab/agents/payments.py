"""Payments service: authorizes orders and refunds them when stock runs out."""

from typing import Any

from eventcollab.agents import now, react
from eventcollab.domain import Decision, payments
from eventcollab.models import Event
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import INVENTORY, ORDERS, Topics, channel


def install(app: Any, settings: Settings, topics: Topics) -> Any:
    table = state_table(app, settings, "payments")
    limit = settings.payment_limit

    def decide(payment: payments.Payment | None, event: Event) -> Decision[payments.Payment]:
        return payments.decide(payment, event, limit, now())

    @app.agent(channel(app, settings, ORDERS, INVENTORY), name="payments")
    async def payments_service(stream: Any) -> None:
        await react(stream, table, payments.Payment, decide, topics.payments)

    return payments_service
