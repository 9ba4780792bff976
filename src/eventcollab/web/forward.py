"""A query for a key this worker does not own, sent on to the worker that owns it.

Only reads are forwarded (GET, no body). A forwarded request carries `FORWARDED`; a worker that
gets one for a key it does not own either answers 503 (ownership moved since the sender's last
rebalance, so the client asks again) instead of forwarding it once more, which could go round in
circles while two workers disagree about the owner.
"""

import logging

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

FORWARDED = "X-Eventcollab-Forwarded-By"
SERVED_BY = "X-Eventcollab-Served-By"
PASSED_ON = ("Content-Type", "Cache-Control", "Retry-After", SERVED_BY)


def moved() -> web.Response:
    return web.json_response(
        {"error": "this workflow's partition is moving between workers; ask again"},
        status=503,
        headers={"Retry-After": "1"},
    )


def unanswered(status: int, reason: str, owner: str) -> web.Response:
    # Unreachable is 503 with Retry-After: an owner that stopped or died leaves the group, and
    # its partitions move to a live worker within the session timeout; asking again finds it.
    headers = {"Retry-After": "1"} if status == 503 else None
    return web.json_response({"error": reason, "owner": owner}, status=status, headers=headers)


class Forwarder:
    """Holds the web server's HTTP client (made in its loop at start)."""

    def __init__(self, me: str, margin: float) -> None:
        self.me, self.margin = me, margin
        self.http: aiohttp.ClientSession | None = None

    async def forward(
        self, request: web.Request, owner: str, waits: float, query: dict[str, str] | None = None
    ) -> web.Response:
        """The owner's answer to the request (with `query` added to its own)."""
        if request.headers.get(FORWARDED) or owner == self.me or self.http is None:
            return moved()
        url = f"{owner}{request.rel_url.update_query(query or {})}"
        timeout = aiohttp.ClientTimeout(total=waits + self.margin)
        try:
            async with self.http.get(url, headers={FORWARDED: self.me}, timeout=timeout) as got:
                body = await got.read()
                headers = {k: got.headers[k] for k in PASSED_ON if k in got.headers}
        except TimeoutError:
            log.warning("%s did not answer %s within %.0f s", owner, url, timeout.total)
            return unanswered(
                504, "the worker that owns this workflow did not answer in time", owner
            )
        except aiohttp.ClientError as error:
            log.warning("%s unreachable for %s: %r", owner, url, error)
            return unanswered(503, "the worker that owns this workflow cannot be reached", owner)
        headers.setdefault(SERVED_BY, owner)
        return web.Response(body=body, status=got.status, headers=headers)

    async def stream(self, request: web.Request, owner: str) -> web.StreamResponse:
        """Pass the owner's streamed answer on as it comes (Server-Sent Events)."""
        if request.headers.get(FORWARDED) or owner == self.me or self.http is None:
            return moved()
        url = f"{owner}{request.path_qs}"
        # No total timeout: a stream lasts as long as its workflow; connecting has one.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.margin)
        try:
            async with self.http.get(url, headers={FORWARDED: self.me}, timeout=timeout) as got:
                headers = {k: got.headers[k] for k in PASSED_ON if k in got.headers}
                headers.setdefault(SERVED_BY, owner)
                passed = web.StreamResponse(status=got.status, headers=headers)
                await passed.prepare(request)
                async for chunk in got.content.iter_any():
                    await passed.write(chunk)
                await passed.write_eof()
                return passed
        except (TimeoutError, aiohttp.ClientConnectorError) as failed:
            log.warning("%s unreachable for %s: %r", owner, url, failed)
            return unanswered(503, "the worker that owns this workflow cannot be reached", owner)
