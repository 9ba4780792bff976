"""POST /workflows/{id}/cancel: a customer's cancellation, published as an event.

The request becomes CancelRequested on `cancellations`, on the order's own partition, where the
orders service decides (see domain.orders): no request is forwarded, so nothing depends on which
worker took it. The answer waits briefly for the tracker to show what the orders service made of it.
"""

import asyncio
import logging
from typing import Annotated
from uuid import uuid4

from aiohttp import web
from pydantic import Field, StringConstraints, ValidationError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.models import CancelRequested, Frozen
from eventcollab.presentation import WorkflowView
from eventcollab.web.answers import error
from eventcollab.web.ask import TrackerClient, TrackerUnreachable
from eventcollab.web.orders import OrderIntake, body_within
from eventcollab.workflow import TERMINAL

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4_096
SETTLE_SECONDS = 5.0  # how long the answer waits to see the cancellation under way
POLL_SECONDS = 0.1
DEFAULT_REASON = "cancelled by the customer"


class CancelOrder(Frozen):
    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    ] = Field(default=DEFAULT_REASON)


class CancelIntake:
    def __init__(self, orders: OrderIntake, tracker: TrackerClient, topic: str) -> None:
        self.orders, self.tracker, self.topic = orders, tracker, topic

    async def post(self, request: web.Request) -> web.Response:
        correlation_id = request.match_info["correlation_id"]
        body = await body_within(request, MAX_BODY_BYTES)
        if body is None:
            return error(413, f"a cancellation body is at most {MAX_BODY_BYTES} bytes")
        try:
            asked = CancelOrder.model_validate_json(body or b"{}", strict=True)
        except ValidationError as wrong:
            return error(422, f"invalid cancellation: {wrong.errors()[0]['msg']}")
        try:
            view = await self.tracker.view(correlation_id)
        except TrackerUnreachable as failed:
            return error(503, f"cannot tell whether the order can be cancelled: {failed}")
        if view is None:
            return error(404, "unknown workflow", correlation_id=correlation_id)
        if view.status in TERMINAL:
            return ended(view)
        if view.status == "in_progress" and not await self.publish(view, asked.reason):
            return error(500, "the cancellation could not be recorded; nothing was cancelled")
        return await self.settled(correlation_id, view)

    async def publish(self, view: WorkflowView, reason: str) -> bool:
        producer = self.orders.producer
        if producer is None:
            return False
        requested = CancelRequested(
            event_id=uuid4(),
            correlation_id=view.correlation_id,
            causation_id=None,
            occurred_at=now(),
            producer="orders",
            order=view.order,
            reason=reason,
        )
        try:
            key = view.correlation_id.encode()
            await (await producer.send(self.topic, encode(requested), key=key))
        except Exception as failed:
            log.warning("cancellation of %s not taken: %r", view.correlation_id, failed)
            return False
        return True

    async def settled(self, correlation_id: str, view: WorkflowView) -> web.Response:
        """202 once the cancellation is under way (or if it is not seen yet), 409 if the order
        ended otherwise before the cancellation reached the orders service."""
        deadline = asyncio.get_running_loop().time() + SETTLE_SECONDS
        while view.status == "in_progress" and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            try:
                view = await self.tracker.view(correlation_id) or view
            except TrackerUnreachable:
                break
        if view.status in TERMINAL and view.status != "cancelled":
            return ended(view)
        url = f"{self.tracker.base}/workflows/{correlation_id}"
        body = {"correlation_id": correlation_id, "status": view.status, "status_url": url}
        return web.json_response(body, status=202, headers={"Location": url})


def ended(view: WorkflowView) -> web.Response:
    return web.json_response(
        {
            "error": f"the order has ended ({view.status}); it cannot be cancelled",
            "correlation_id": view.correlation_id,
            "status": view.status,
        },
        status=409,
    )
