"""Orders service: concludes each order from what payments and shipping report, and cancels
it on request or when the tracker reports a step past its deadline."""

from eventcollab.agents import reacting
from eventcollab.clock import now
from eventcollab.domain import Decision, orders
from eventcollab.models import Event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.sweep import sweeping
from eventcollab.topics import Topics


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    def decide(outcome: orders.OrderOutcome | None, event: Event) -> Decision[orders.OrderOutcome]:
        return orders.decide(outcome, event, now())

    cancellation = {"OrderCancelling": topics.cancellations}
    handler = reacting(
        "order_outcomes", orders.OrderOutcome, decide, topics.orders, orders.REACTS_TO, cancellation
    )
    inputs = (
        topics.cancellations,
        topics.payments,
        topics.inventory,
        topics.shipments,
        topics.deadlines,
    )
    return [
        ProcessorSpec(
            "orders",
            inputs,
            handler,
            ("order_outcomes",),
            tick=sweeping(settings, {"order_outcomes": orders.OrderOutcome}),
            tick_seconds=settings.state_retention_check_seconds,
        )
    ]
