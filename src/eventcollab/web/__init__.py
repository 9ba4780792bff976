"""The worker's HTTP interface: order intake and read-only views of the state it keeps.

The routes depend on the services the worker runs. They are served by `web.server.WebServer`
on a thread of its own, so `application` is called inside that thread's event loop.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from eventcollab.runtime.kafka import new_producer
from eventcollab.runtime.worker import Runtime
from eventcollab.settings import Settings
from eventcollab.topics import Topics
from eventcollab.web.orders import OrderIntake, PlaceOrder, Sender, order_placed
from eventcollab.web.status import StockOnHand, WorkflowStatus

__all__ = ["PlaceOrder", "application", "order_placed"]


def application(
    settings: Settings, names: Topics, runtime: Runtime, producer: Sender | None = None
) -> web.Application:
    """The routes of this worker's services. Without `producer`, the order intake makes its
    own when the server starts (in the server's event loop, which a Kafka client is bound to)."""
    app = web.Application()
    if "orders" in settings.services:
        intake = OrderIntake(producer, names.orders, settings.tracker_url)
        if producer is None:
            app.cleanup_ctx.append(own_producer(settings, intake))
        app.router.add_post("/orders", intake.place)
    if "tracker" in settings.services:
        workflows = WorkflowStatus(runtime.processor("tracker"))
        app.router.add_get("/workflows/{correlation_id}", workflows.get)
    if "inventory" in settings.services:
        app.router.add_get("/stock/{sku}", StockOnHand(runtime.processor("stock")).get)
    return app


def own_producer(
    settings: Settings, intake: OrderIntake
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def producing(_: Any) -> AsyncIterator[None]:
        producer = new_producer(settings)
        await producer.start()
        intake.producer = producer
        try:
            yield
        finally:
            await producer.stop()

    return producing
