"""The worker's HTTP server, on a thread of its own with its own event loop.

The processors keep the worker's main event loop busy in turns of tens of records; a query
served on that loop waited for every processor's turn (status p99 of 35 ms at 700 orders/s
all-in-one, 180 ms in a busy tracker of its own). On its own loop a request waits only for the
interpreter to switch threads. The views only read: RocksDB allows reads from any thread, and a
processor's ownership and readiness flags are replaced whole, never changed in place.
"""

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web
from mode import Service

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0
# How long a thread that wants the interpreter waits before the running one must hand it over
# (CPython's default is 5 ms). While the processors are busy, a query waits this long each time
# it needs the interpreter back.
SWITCH_SECONDS = 0.001


class WebServer(Service):
    """Registered with `app.web_server`: Faust starts it and reports its address."""

    def __init__(
        self,
        application: Callable[[], web.Application],
        address: Callable[[], tuple[str, int]],
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.application = application
        self.address = address  # read at start: the worker's --web-port is known by then
        self.listening = asyncio.Event()
        self.thread: threading.Thread | None = None
        self.web_loop: asyncio.AbstractEventLoop | None = None
        self.closing: asyncio.Event | None = None

    def get_web_url(self) -> str:
        host, port = self.address()
        return f"http://{host}:{port}"

    async def on_start(self) -> None:
        sys.setswitchinterval(SWITCH_SECONDS)
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        host, port = self.address()
        self.thread = threading.Thread(
            target=asyncio.run, args=(self.serve(host, port, started),), name="web", daemon=True
        )
        self.thread.start()
        await asyncio.wrap_future(started)  # raises what stopped it, say a port in use
        self.listening.set()

    async def serve(self, host: str, port: int, started: concurrent.futures.Future[None]) -> None:
        self.closing = asyncio.Event()
        self.web_loop = asyncio.get_running_loop()
        # No access log: a log call per request is a cost on every query.
        runner = web.AppRunner(self.application(), access_log=None)
        try:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        except BaseException as error:
            started.set_exception(error)
            await runner.cleanup()
            return
        started.set_result(None)
        await self.closing.wait()
        await runner.cleanup()

    async def on_stop(self) -> None:
        if self.web_loop is not None and self.closing is not None:
            self.web_loop.call_soon_threadsafe(self.closing.set)
        if self.thread is not None:
            await asyncio.to_thread(self.thread.join, STOP_SECONDS)
            if self.thread.is_alive():
                log.warning("web server still closing after %.0f s; leaving it", STOP_SECONDS)
