"""Payments service: authorizes orders and refunds them when stock runs out."""

from eventcollab.agents import reacting
from eventcollab.clock import now
from eventcollab.domain import Decision, payments
from eventcollab.models import Event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.sweep import sweeping
from eventcollab.topics import Topics


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    limit = settings.payment_limit

    def decide(payment: payments.Payment | None, event: Event) -> Decision[payments.Payment]:
        return payments.decide(payment, event, limit, now())

    handler = reacting("payments", payments.Payment, decide, topics.payments, payments.REACTS_TO)
    return [
        ProcessorSpec(
            "payments",
            (topics.orders, topics.inventory, topics.cancellations),
            handler,
            ("payments",),
            tick=sweeping(settings, {"payments": payments.Payment}),
            tick_seconds=settings.state_retention_check_seconds,
        )
    ]
