"""Read-only views of stored state: where a workflow stands, how much stock is on hand.

A workflow is answered by the worker whose tracker owns its partition; any other worker forwards
the query there (see web.forward). `?wait=exists|terminal&timeout=SECONDS` holds the answer until
the workflow exists or has ended (see web.watch). `?as_of=TIME` answers where it stood then.
"""

import asyncio
from datetime import datetime
from typing import Literal

from aiohttp import web

from eventcollab.clock import instant_of
from eventcollab.codec import encode
from eventcollab.domain.inventory import StockLevel
from eventcollab.presentation import present
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.processor import Processor
from eventcollab.web.answers import error
from eventcollab.web.forward import Forwarder
from eventcollab.web.pages import wants_html, workflow_page
from eventcollab.web.watch import Watchers
from eventcollab.workflow import TERMINAL, WorkflowState, as_of

JSON = "application/json"
WAIT_SECONDS = 30.0  # when `wait` comes without a timeout
MAX_WAIT_SECONDS = 300.0
PAGE_WAIT_SECONDS = 3.0  # a page waits this long for a workflow that does not exist yet

Wait = Literal["exists", "terminal"]


def reached(wait: Wait | None, state: WorkflowState | None) -> bool:
    if wait is None:
        return True
    return state is not None and (wait == "exists" or state.status in TERMINAL)


WAITS: dict[str, Wait] = {"exists": "exists", "terminal": "terminal"}


def waiting_of(request: web.Request) -> tuple[Wait | None, float]:
    """The `wait` and `timeout` query parameters; ValueError says what is wrong with them."""
    asked, timeout = request.query.get("wait"), request.query.get("timeout")
    wait = WAITS.get(asked) if asked is not None else None
    if asked is not None and wait is None:
        raise ValueError('wait must be "exists" or "terminal"')
    if timeout is None:
        return wait, WAIT_SECONDS if wait else 0.0
    try:
        seconds = float(timeout)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise ValueError(f"timeout must be seconds from 0 to {MAX_WAIT_SECONDS:.0f}")
    return wait, seconds


def as_of_of(request: web.Request) -> datetime | None:
    """The `as_of` query parameter; ValueError says what is wrong with it."""
    asked = request.query.get("as_of")
    if asked is None:
        return None
    if "wait" in request.query:
        # What was is known already: there is nothing to wait for.
        raise ValueError("as_of asks how the workflow stood then; it takes no wait")
    try:
        return instant_of(asked)
    except ValueError:
        raise ValueError("as_of must be an ISO 8601 time (UTC when it has no zone)") from None


def owns(tracker: Processor, correlation_id: str) -> bool:
    """Whether this worker's tracker owns the workflow and has its state restored."""
    partition = partition_for(correlation_id, tracker.settings.partitions)
    return tracker.serving and partition in tracker.owned


async def elsewhere(
    tracker: Processor,
    forwarder: Forwarder,
    request: web.Request,
    wait_seconds: float = 0.0,
    streamed: bool = False,
    query: dict[str, str] | None = None,
) -> web.StreamResponse:
    """The query answered by the worker that owns the workflow (streamed when it streams)."""
    if not tracker.serving:
        return error(503, "workflow state is recovering")
    correlation_id = request.match_info["correlation_id"]
    owner = tracker.owners.get(partition_for(correlation_id, tracker.settings.partitions))
    if owner is None:
        return error(503, "no worker owns this workflow's partition yet")
    if streamed:
        return await forwarder.stream(request, owner)
    return await forwarder.forward(request, owner, wait_seconds, query)


class WorkflowStatus:
    def __init__(self, tracker: Processor, watchers: Watchers, forwarder: Forwarder) -> None:
        self.tracker, self.watchers, self.forwarder = tracker, watchers, forwarder

    async def get(self, request: web.Request) -> web.StreamResponse:
        correlation_id = request.match_info["correlation_id"]
        try:
            wait, seconds = waiting_of(request)
            instant = as_of_of(request)
        except ValueError as wrong:
            return error(400, str(wrong))
        if wants_html(request) and wait is None and instant is None:
            # A person sent here right after placing an order sees it, not "unknown", while the
            # tracker records its first step.
            wait, seconds = "exists", PAGE_WAIT_SECONDS
        if not owns(self.tracker, correlation_id):
            query = {"wait": wait, "timeout": str(seconds)} if wait else {}
            answer = await elsewhere(self.tracker, self.forwarder, request, seconds, query=query)
        else:
            answer = await self.answer(correlation_id, wait, seconds, instant)
        if wants_html(request) and isinstance(answer, web.Response):
            return workflow_page(answer, instant)
        return answer

    async def answer(
        self, correlation_id: str, wait: Wait | None, seconds: float, instant: datetime | None
    ) -> web.Response:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            change = self.watchers.register(correlation_id) if wait else None
            try:
                if not owns(self.tracker, correlation_id):
                    return error(503, "this workflow's partition moved to another worker")
                state = self.tracker.lookup("workflows", correlation_id, WorkflowState)
                left = deadline - asyncio.get_running_loop().time()
                if reached(wait, state) or change is None or left <= 0:
                    if instant is not None:
                        return self.respond_as_of(correlation_id, state, instant)
                    return self.respond(correlation_id, wait, state)
                await asyncio.wait([change], timeout=left)
            finally:
                if change is not None:
                    self.watchers.forget(correlation_id, change)

    def respond(
        self, correlation_id: str, wait: Wait | None, state: WorkflowState | None
    ) -> web.Response:
        if state is None:
            return error(404, "unknown workflow", correlation_id=correlation_id)
        # Waited for the end and it did not come: the state so far, with 202 (still running).
        status = 202 if wait == "terminal" and state.status not in TERMINAL else 200
        return web.Response(body=encode(present(state)), status=status, content_type=JSON)

    def respond_as_of(
        self, correlation_id: str, state: WorkflowState | None, instant: datetime
    ) -> web.Response:
        then = as_of(state, instant) if state is not None else None
        if then is None:
            why = "unknown workflow" if state is None else "the workflow had no step yet then"
            return error(404, why, correlation_id=correlation_id, as_of=instant.isoformat())
        return web.Response(body=encode(present(then)), status=200, content_type=JSON)


class StockOnHand:
    def __init__(self, stock: Processor) -> None:
        self.stock = stock

    async def get(self, request: web.Request) -> web.Response:
        sku = request.match_info["sku"]
        if not self.stock.serving:
            return error(503, "stock is recovering")
        level = self.stock.lookup("stock", sku, StockLevel) or StockLevel(available=0)
        return web.json_response({"sku": sku, "available": level.available})
