"""POST /orders: the first event of a new workflow, answered once the broker has it."""

import logging
import re
from decimal import Decimal
from typing import Annotated, Any, Protocol
from uuid import uuid4

from aiohttp import web
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.models import Frozen, Money, Order, OrderLine, OrderPlaced, Quantity, Sku
from eventcollab.web.answers import error
from eventcollab.web.ask import TrackerClient, TrackerUnreachable
from eventcollab.web.idempotency import KEY_HEADER, idempotency_key, keyed_ids, repeat_of

log = logging.getLogger(__name__)

# A hundred lines of the longest SKUs and prices take about 12 KB, even pretty-printed.
MAX_ORDER_BYTES = 65_536
# How long a keyed order waits for the tracker to show which body its key was taken with.
CONFIRM_SECONDS = 5.0
# A price given as text: digits, and at most two decimals after a point ("12", "12.50").
PRICE_TEXT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
JSON_TYPES = {bool: "a boolean", type(None): "null", list: "an array", dict: "an object"}


def printable(value: object) -> object:
    # Ids are shown on pages and terminals and written to logs: no control characters there.
    if isinstance(value, str) and not value.isprintable():
        raise ValueError("must not contain control or other non-printable characters")
    return value


def price_of(value: object) -> object:
    """A price as JSON gives it: a number, or a plain decimal in a string ("12", "12.50"); no
    exponent, sign, spaces, "NaN" or "Infinity" in text, which a pydantic Decimal would take.

    Converted here because strict validation takes nothing but a Decimal after a validator.
    """
    if isinstance(value, str):
        if not PRICE_TEXT.fullmatch(value):
            raise ValueError('a price is a number, or a decimal in a string such as "12.50"')
        return Decimal(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value))  # a float's shortest repr: 19.99, not 19.989999...
    if isinstance(value, Decimal):
        return value
    sent = JSON_TYPES.get(type(value), type(value).__name__)
    raise ValueError(f"a price is a number, or a decimal in a string, not {sent}")


def not_empty(items: tuple["OrderItem", ...]) -> tuple["OrderItem", ...]:
    # Checked after the items, not as a minimum length: pydantic would count the valid items
    # only, and blame an order of one bad item for being empty as well.
    if not items:
        raise ValueError("an order has at least one item")
    return items


class OrderItem(Frozen):
    """A line as a client sends it; the order's events carry it as an OrderLine."""

    sku: Annotated[Sku, BeforeValidator(printable)]
    quantity: Quantity
    unit_price: Annotated[Money, Field(gt=0), BeforeValidator(price_of)]

    def line(self) -> OrderLine:
        return OrderLine(sku=self.sku, quantity=self.quantity, unit_price=self.unit_price)


class PlaceOrder(Frozen):
    customer_id: Annotated[str, Field(min_length=1, max_length=100), BeforeValidator(printable)]
    items: Annotated[tuple[OrderItem, ...], Field(max_length=100), AfterValidator(not_empty)]


def order_request(body: bytes) -> PlaceOrder:
    """The request, validated strictly: JSON types are taken as sent, never converted (a
    quantity of `true` or `"2"` is refused). Events read off Kafka are validated as before."""
    return PlaceOrder.model_validate_json(body, strict=True)


def order_placed(request: PlaceOrder, now: Any, key: str | None = None) -> OrderPlaced:
    """The first event of a new workflow: its ids are random, or derived from the request's
    Idempotency-Key so that a repeated request is the same event."""
    correlation_id, event_id = keyed_ids(key) if key is not None else (str(uuid4()), uuid4())
    return OrderPlaced(
        event_id=event_id,
        correlation_id=correlation_id,
        causation_id=None,
        occurred_at=now,
        producer="orders",
        order=Order.of(request.customer_id, tuple(item.line() for item in request.items)),
    )


def reasons(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in e["loc"]), "reason": e["msg"]}
        for e in error.errors(include_url=False, include_input=False)
    ]


async def body_within(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is longer than `limit` bytes."""
    if (request.content_length or 0) > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def accepted(correlation_id: str, url: str) -> web.Response:
    body = {"correlation_id": correlation_id, "status_url": url}
    return web.json_response(body, status=202, headers={"Location": url})


class Sender(Protocol):
    async def send(self, topic: str, value: bytes, *, key: bytes) -> Any: ...


class OrderIntake:
    """Takes orders over HTTP and writes each one as OrderPlaced onto the orders topic."""

    def __init__(
        self,
        producer: Sender | None,
        topic: str,
        tracker_url: str | None,
        tracker: TrackerClient | None = None,
    ) -> None:
        self.producer, self.topic, self.tracker_url = producer, topic, tracker_url
        self.tracker = tracker  # asked about keyed orders

    async def place(self, request: web.Request) -> web.Response:
        body = await body_within(request, MAX_ORDER_BYTES)
        if body is None:
            return error(413, f"an order is at most {MAX_ORDER_BYTES} bytes of JSON")
        try:
            key = idempotency_key(request.headers.getall(KEY_HEADER, []))
        except ValueError as wrong:
            return error(400, str(wrong))
        try:
            placed = order_placed(order_request(body), now(), key)
        except ValidationError as wrong:
            invalid = {"error": "invalid order", "reasons": reasons(wrong)}
            return web.json_response(invalid, status=422)
        if self.producer is None:
            return error(503, "the order intake is starting")
        if key is not None:
            return await self.place_once(request, placed)
        url = await self.publish(request, placed)
        if url is None:
            return error(500, "the order could not be recorded; nothing was placed")
        return accepted(placed.correlation_id, url)

    async def place_once(self, request: web.Request, placed: OrderPlaced) -> web.Response:
        """A keyed order: the workflow its key names, started by the first request only.

        Two requests with one key and different orders may both find no workflow and both
        publish; the first OrderPlaced on the partition is the one every service keeps (same
        event id), so each request looks again once the tracker has it.
        """
        correlation_id = placed.correlation_id
        try:
            repeat = repeat_of(await self.stored_order(correlation_id), placed.order)
        except TrackerUnreachable as failed:
            reason = f"cannot tell whether this {KEY_HEADER} was used; nothing was placed"
            return error(503, f"{reason} ({failed})")
        if repeat == "new":
            if await self.publish(request, placed) is None:
                return error(500, "the order could not be recorded; nothing was placed")
            repeat = repeat_of(await self.confirmed(correlation_id), placed.order)
        if repeat == "new":  # sent, but the tracker does not show it yet
            reason = f"the order was sent, not confirmed yet: repeat it with the same {KEY_HEADER}"
            return error(503, reason, correlation_id=correlation_id)
        if repeat == "different":
            reason = f"this {KEY_HEADER} was already used for a different order"
            return error(409, reason, correlation_id=correlation_id)
        return accepted(correlation_id, self.status_url(request, correlation_id))

    async def confirmed(self, correlation_id: str) -> Order | None:
        """The order of the workflow once the tracker holds it (None if it does not say)."""
        try:
            return await self.stored_order(correlation_id, CONFIRM_SECONDS)
        except TrackerUnreachable as failed:
            log.warning("order %s sent, not confirmed: %s", correlation_id, failed)
            return None

    async def stored_order(self, correlation_id: str, wait: float = 0.0) -> Order | None:
        if self.tracker is None:
            raise TrackerUnreachable("this worker does not ask a tracker")
        view = await self.tracker.view(correlation_id, wait_exists=wait)
        return view.order if view is not None else None

    async def publish(self, request: web.Request, placed: OrderPlaced) -> str | None:
        """Write the OrderPlaced and wait for the broker; its status URL, or None if refused.

        Answered only once the broker has the event: a 202 promises the workflow exists.
        """
        if self.producer is None:
            return None
        try:
            key = placed.correlation_id.encode()
            await (await self.producer.send(self.topic, encode(placed), key=key))
        except Exception as failed:
            log.warning("order %s not taken: %r", placed.correlation_id, failed)
            return None
        return self.status_url(request, placed.correlation_id)

    def status_url(self, request: web.Request, correlation_id: str) -> str:
        tracker = self.tracker_url or str(request.url.origin())
        return f"{tracker}/workflows/{correlation_id}"
