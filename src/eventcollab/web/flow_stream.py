"""GET /flow/stream: the dashboard's Flow section, live, as Server-Sent Events.

The section is rendered on the server (web.flow_pages) from the merged map and stuck workflows
of every tracker worker, checked every second (`?every=SECONDS`, from 0.1 to 10), and sent as
`event: flow` with `{"html": ...}` first and then whenever it changed; a page that shows the
section already names its digest (`?seen=DIGEST`, the section's `data-digest`) and is sent a
comment line (`: unchanged`) until it changes. While the partitions move between workers
nothing is sent: the page keeps the section it has.
"""

import asyncio
import contextlib
from collections.abc import Callable, Mapping

import orjson
from aiohttp import web

from eventcollab.web.answers import error, seconds_in
from eventcollab.web.flow import whole_of
from eventcollab.web.flow_pages import digest_of, section, section_html, unavailable_html
from eventcollab.web.flow_queries import FlowQueries
from eventcollab.web.steps import KEEP_ALIVE_SECONDS, sse

EVERY_SECONDS, FASTEST, SLOWEST = 1.0, 0.1, 10.0


def period_of(query: Mapping[str, str]) -> float:
    """`every`, in seconds; ValueError says what is wrong with it."""
    return seconds_in(query, "every", EVERY_SECONDS, FASTEST, SLOWEST)


def gone(request: web.Request) -> bool:
    """Whether the page went away: a write would only tell at the next change, and a stream
    left running would hold the worker's shutdown."""
    transport = request.transport
    return transport is None or transport.is_closing()


class FlowSection:
    def __init__(self, queries: FlowQueries) -> None:
        self.queries = queries

    async def drawn(self) -> str | None:
        """The section's HTML now, or None while some part cannot be had."""
        parts = await self.queries.pages.whole({})
        stuck = await self.queries.merged_stuck({})
        if isinstance(parts, web.Response) or isinstance(stuck, web.Response):
            return None
        return section_html(whole_of(parts), stuck, self.queries.ratio)

    async def html(self) -> str:
        """For the dashboard: the section, or why it cannot be drawn right now."""
        drawn = await self.drawn()
        if drawn is None:
            return unavailable_html("the tracker workers are busy")
        return section(drawn, digest_of(drawn))

    async def stream(self, request: web.Request) -> web.StreamResponse:
        try:
            every = period_of(request.query)
        except ValueError as wrong:
            return error(400, str(wrong))
        stream = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        stream.headers["Cache-Control"] = "no-cache"
        await stream.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the page was closed
            await self.follow(stream, every, request.query.get("seen"), lambda: gone(request))
        return stream

    async def follow(
        self, stream: web.StreamResponse, every: float, seen: str | None, closed: Callable[[], bool]
    ) -> None:
        quiet: float | None = None  # None: nothing written yet
        while not closed():
            drawn = await self.drawn()
            digest = digest_of(drawn) if drawn is not None else seen
            if drawn is not None and digest != seen:
                html = section(drawn, digest or "")
                await stream.write(sse("flow", orjson.dumps({"html": html})))
                seen, quiet = digest, 0.0
            elif quiet is None or quiet >= KEEP_ALIVE_SECONDS:
                # At once too: the page learns that what it shows is current.
                await stream.write(b": unchanged\n\n")
                quiet = 0.0
            await asyncio.sleep(every)
            quiet += every
