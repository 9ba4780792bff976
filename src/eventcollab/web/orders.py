"""POST /orders: the first event of a new workflow, answered once the broker has it."""

import logging
from typing import Annotated, Any, Protocol
from uuid import uuid4

from aiohttp import web
from pydantic import Field, ValidationError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.models import Frozen, Order, OrderLine, OrderPlaced

log = logging.getLogger(__name__)


class PlaceOrder(Frozen):
    customer_id: Annotated[str, Field(min_length=1, max_length=100)]
    items: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=100)]


def order_placed(request: PlaceOrder, now: Any) -> OrderPlaced:
    """The first event of a new workflow; its ids are the only random ones in a workflow."""
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=str(uuid4()),
        causation_id=None,
        occurred_at=now,
        producer="orders",
        order=Order.of(request.customer_id, request.items),
    )


def reasons(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in e["loc"]), "reason": e["msg"]}
        for e in error.errors(include_url=False, include_input=False)
    ]


class Sender(Protocol):
    async def send(self, topic: str, value: bytes, *, key: bytes) -> Any: ...


class OrderIntake:
    """Takes orders over HTTP and writes each one as OrderPlaced onto the orders topic."""

    def __init__(self, producer: Sender | None, topic: str, tracker_url: str | None) -> None:
        self.producer, self.topic, self.tracker_url = producer, topic, tracker_url

    async def place(self, request: web.Request) -> web.Response:
        try:
            placed = order_placed(PlaceOrder.model_validate_json(await request.read()), now())
        except ValidationError as error:
            body = {"error": "invalid order", "reasons": reasons(error)}
            return web.json_response(body, status=422)
        if self.producer is None:
            body, retry = {"error": "the order intake is starting"}, {"Retry-After": "1"}
            return web.json_response(body, status=503, headers=retry)
        url = await self.publish(request, placed)
        if url is None:
            body = {"error": "the order could not be recorded; nothing was placed"}
            return web.json_response(body, status=500)
        body = {"correlation_id": placed.correlation_id, "status_url": url}
        return web.json_response(body, status=202, headers={"Location": url})

    async def publish(self, request: web.Request, placed: OrderPlaced) -> str | None:
        """Write the OrderPlaced and wait for the broker; its status URL, or None if refused.

        Answered only once the broker has the event: a 202 promises the workflow exists.
        """
        if self.producer is None:
            return None
        try:
            key = placed.correlation_id.encode()
            await (await self.producer.send(self.topic, encode(placed), key=key))
        except Exception as error:
            log.warning("order %s not taken: %r", placed.correlation_id, error)
            return None
        tracker = self.tracker_url or str(request.url.origin())
        return f"{tracker}/workflows/{placed.correlation_id}"
