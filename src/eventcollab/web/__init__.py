"""The worker's HTTP interface: order intake and read-only views of the state it keeps.

The routes depend on the services the worker runs. They are served by `web.server.WebServer`
on a thread of its own, so `application` is called inside that thread's event loop.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from aiohttp import web

from eventcollab import auth
from eventcollab.flowmap import declared
from eventcollab.flowmap.live import FlowView
from eventcollab.runtime.kafka import new_producer
from eventcollab.runtime.worker import Runtime
from eventcollab.settings import Settings
from eventcollab.topics import Topics
from eventcollab.web.ask import TrackerClient
from eventcollab.web.cancel import CancelIntake
from eventcollab.web.flow import FlowPages
from eventcollab.web.flow_exports import FlowExports
from eventcollab.web.flow_queries import FlowQueries
from eventcollab.web.flow_stream import FlowSection
from eventcollab.web.forward import Forwarder
from eventcollab.web.health import Probes
from eventcollab.web.lists import Lists
from eventcollab.web.metrics import WorkerMetrics
from eventcollab.web.orders import OrderIntake, PlaceOrder, Sender, order_placed
from eventcollab.web.pages import Dashboard, OrderForm
from eventcollab.web.processing import ProcessingStats
from eventcollab.web.status import StockOnHand, WorkflowStatus
from eventcollab.web.steps import WorkflowSteps
from eventcollab.web.watch import Watchers

__all__ = ["PlaceOrder", "application", "order_placed"]


def application(
    settings: Settings, names: Topics, runtime: Runtime, producer: Sender | None = None
) -> web.Application:
    """The routes of this worker's services. Without `producer`, the order intake makes its
    own when the server starts (in the server's event loop, which a Kafka client is bound to)."""
    app = web.Application(middlewares=[auth.guard(settings)])
    app.router.add_get("/stats/processing", ProcessingStats(runtime).get)
    probes = Probes(runtime)  # liveness and readiness, on every worker
    app.router.add_get("/healthz", probes.alive)
    app.router.add_get("/readyz", probes.ready)
    if "orders" in settings.services:
        tracker_client = TrackerClient(settings, "tracker" in settings.services)
        app.cleanup_ctx.append(partial(asking, settings, tracker_client))
        intake = OrderIntake(producer, names.orders, settings.tracker_url, tracker_client)
        if producer is None:
            app.cleanup_ctx.append(own_producer(settings, intake))
        app.router.add_post("/orders", intake.place)
        app.router.add_post("/orders/form", OrderForm(intake).post)
        cancel = CancelIntake(intake, tracker_client, names.cancellations)
        app.router.add_post("/workflows/{correlation_id}/cancel", cancel.post)
    if "tracker" in settings.services:
        tracker, watchers, forwarder = (
            runtime.processor("tracker"),
            Watchers(),
            Forwarder(runtime.url, settings.forward_seconds),
        )
        tracker.observers.append(watchers.stored)
        app.cleanup_ctx.append(partial(serving_queries, settings, watchers, forwarder))
        lists = Lists(tracker, forwarder)
        app.router.add_get("/workflows", lists.workflows)
        app.router.add_get("/workflows/stats", lists.stats)  # before /workflows/{id}
        workflows = WorkflowStatus(tracker, watchers, forwarder)
        app.router.add_get("/workflows/{correlation_id}", workflows.get, name="workflow")
        # The form goes to this worker when it takes orders, else to the orders service.
        orders_url = "" if "orders" in settings.services else settings.orders_url
        dashboard = Dashboard(lists, orders_url)
        app.router.add_get("/", dashboard.get)
        app.router.add_get("/search", dashboard.search)
        flow = FlowPages(tracker, lists, FlowView(declared.expected_names()))
        app.router.add_get("/flow", flow.get)
        queries = FlowQueries(flow)
        app.router.add_get("/flow/stuck", queries.stuck)
        app.router.add_get("/flow/as-of", queries.as_of)
        app.router.add_get("/flow/diff", queries.diff)
        exports = FlowExports(flow)
        app.router.add_get("/flow/events.csv", exports.events)
        app.router.add_get("/flow/follows", exports.follows)
        app.router.add_get("/flow/metrics", exports.metrics)
        # Node and edge names hold a slash (`producer/EventType`): the rest of the path is one.
        app.router.add_get("/flow/edges/{edge:.+}", queries.edge)
        app.router.add_get("/flow/nodes/{node:.+}", queries.node)
        # The map on the dashboard, kept live (the drill-down pages answer browsers above).
        section = FlowSection(queries)
        dashboard.flow = section.html
        app.router.add_get("/flow/stream", section.stream)
        steps = WorkflowSteps(tracker, watchers, forwarder)
        app.router.add_get("/workflows/{correlation_id}/events", steps.get)
    if "inventory" in settings.services:
        app.router.add_get("/stock/{sku}", StockOnHand(runtime.processor("stock")).get)
    # Prometheus, on every worker; a tracker's adds its workflows and its share of the flow map.
    map_part = flow.map_part if "tracker" in settings.services else None
    app.router.add_get("/metrics", WorkerMetrics(runtime, map_part).get)
    return app


async def serving_queries(
    settings: Settings, watchers: Watchers, forwarder: Forwarder, _: web.Application
) -> AsyncIterator[None]:
    """Waiting queries are woken in this loop; forwarded ones go out through its HTTP client."""
    watchers.bind(asyncio.get_running_loop())
    async with auth.client(settings) as http:
        forwarder.http = http
        yield


async def asking(
    settings: Settings, tracker: TrackerClient, _: web.Application
) -> AsyncIterator[None]:
    async with auth.client(settings) as http:
        tracker.http = http
        yield


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
