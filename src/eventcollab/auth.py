"""Bearer tokens on the HTTP interface: an optional one for writes, an optional one for reads.

With `EVENTCOLLAB_WRITE_TOKEN` set, every request that changes something (placing or cancelling
an order: any method but GET and HEAD) must carry `Authorization: Bearer <write token>`; with
`EVENTCOLLAB_READ_TOKEN` set, every read must carry the read or the write token. A write never
asks for less than a read: with only the read token set, writes need it too. Health and
readiness stay open, for probes. Tokens are compared in constant time, kept as secrets (their
repr is masked) and never logged. The workers' own requests to each other, and the commands,
send the token their settings hold.
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from eventcollab.settings import Settings

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
READS = frozenset({"GET", "HEAD"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def secret(settings: Settings, name: str) -> bytes | None:
    token = getattr(settings, name)
    return token.get_secret_value().encode() if token is not None else None


def headers(settings: Settings, write: bool = False) -> dict[str, str]:
    """What a request to a worker carries: the write token for writes, else the read token
    (or the write token, which reads too)."""
    names = ("write_token", "read_token") if write else ("read_token", "write_token")
    for name in names:
        token = secret(settings, name)
        if token is not None:
            return {"Authorization": f"Bearer {token.decode()}"}
    return {}


def client(settings: Settings, write: bool = False, **options: Any) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers=headers(settings, write), **options)


def bearer(request: web.Request) -> bytes | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" and token.strip() else None


def matches(given: bytes, tokens: list[bytes]) -> bool:
    # Every token compared, so that the time does not tell which one nearly matched.
    found = [hmac.compare_digest(given, token) for token in tokens]
    return any(found)


def refused(status: int, reason: str) -> web.Response:
    return web.json_response(
        {"error": reason}, status=status, headers={"WWW-Authenticate": 'Bearer realm="eventcollab"'}
    )


def guard(settings: Settings) -> Middleware:
    write, read = secret(settings, "write_token"), secret(settings, "read_token")
    writers = [t for t in (write or read,) if t is not None]
    readers = [t for t in (read, write) if t is not None] if read is not None else []

    @web.middleware
    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        reading = request.method in READS
        needed = readers if reading else writers
        if not needed:
            return await handler(request)
        given = bearer(request)
        if given is None:
            return refused(401, "this request needs a bearer token")
        if matches(given, needed):
            return await handler(request)
        if not reading and read is not None and matches(given, [read]):
            return refused(403, "the read token does not allow writes")
        return refused(401, "the bearer token is not valid")

    return guarded
