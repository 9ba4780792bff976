"""GET /workflows/{id}/events: a Server-Sent Events stream of a workflow's steps as recorded.

Every step already recorded is sent first, then each new one as the tracker stores it, then an
`end` event with the outcome. The tracker reads four topics at their own pace, so a step can be
recorded after a later one: the stream sends steps in the order the tracker recorded them, each
once (its `id` is the event id). A worker that does not own the workflow streams it from the
owner; a stream whose partition moves away ends with a `moved` event (connect again).
"""

import asyncio
from uuid import UUID

from aiohttp import web

from eventcollab.codec import encode
from eventcollab.presentation import present
from eventcollab.runtime.processor import Processor
from eventcollab.web.forward import Forwarder
from eventcollab.web.status import elsewhere, owns
from eventcollab.web.watch import Watchers
from eventcollab.workflow import TERMINAL, WorkflowState

KEEP_ALIVE_SECONDS = 15.0  # a comment line, so that proxies keep an idle stream open


def sse(event: str, data: bytes, event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: ".encode() + data + b"\n\n"


class WorkflowSteps:
    def __init__(self, tracker: Processor, watchers: Watchers, forwarder: Forwarder) -> None:
        self.tracker, self.watchers, self.forwarder = tracker, watchers, forwarder

    async def get(self, request: web.Request) -> web.StreamResponse:
        correlation_id = request.match_info["correlation_id"]
        if not owns(self.tracker, correlation_id):
            return await elsewhere(self.tracker, self.forwarder, request, streamed=True)
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        stream.headers["Cache-Control"] = "no-cache"
        await stream.prepare(request)
        await self.follow(correlation_id, stream)
        await stream.write_eof()
        return stream

    async def follow(self, correlation_id: str, stream: web.StreamResponse) -> None:
        sent: set[UUID] = set()
        while True:
            change = self.watchers.register(correlation_id)
            try:
                if not owns(self.tracker, correlation_id):
                    await stream.write(sse("moved", b'{"retry": true}'))
                    return
                state = self.tracker.lookup("workflows", correlation_id, WorkflowState)
                if state is not None:
                    for step in present(state).timeline:
                        if step.event_id not in sent:
                            sent.add(step.event_id)
                            await stream.write(sse("step", encode(step), str(step.event_id)))
                    if state.status in TERMINAL:
                        await stream.write(sse("end", f'{{"status": "{state.status}"}}'.encode()))
                        return
                done, _ = await asyncio.wait([change], timeout=KEEP_ALIVE_SECONDS)
                if not done:
                    await stream.write(b": still running\n\n")
            finally:
                self.watchers.forget(correlation_id, change)
