"""Requests waiting for a workflow to change: held in the web server's loop, woken by the tracker.

The tracker's processor runs on the worker's main loop and calls `stored` after each write to
its store; `stored` hands the keys somebody waits for over to the web loop. A waiting request
registers before it reads the state, and the processor writes before it looks for waiters, so a
change between the request's read and its wait cannot be missed.
"""

import asyncio
from collections.abc import Iterable

TABLE_PREFIX = b"workflows/"


class Watchers:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: dict[str, set[asyncio.Future[None]]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def register(self, key: str) -> asyncio.Future[None]:
        """A future that completes at the key's next change (or when ownership moves)."""
        assert self.loop is not None, "bind the web server's loop first"
        future: asyncio.Future[None] = self.loop.create_future()
        self.waiting.setdefault(key, set()).add(future)
        return future

    def forget(self, key: str, future: asyncio.Future[None]) -> None:
        waiting = self.waiting.get(key)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self.waiting[key]

    def stored(self, keys: Iterable[bytes] | None) -> None:
        """From the processor's thread: these table keys were written (None: the partitions were
        taken away, so every waiter must look again)."""
        if not self.waiting or self.loop is None:
            return
        if keys is None:
            self.loop.call_soon_threadsafe(self.wake, list(self.waiting))
            return
        found = [key[len(TABLE_PREFIX) :].decode() for key in keys if key.startswith(TABLE_PREFIX)]
        hits = [key for key in found if key in self.waiting]
        if hits:
            self.loop.call_soon_threadsafe(self.wake, hits)

    def wake(self, keys: list[str]) -> None:
        for key in keys:
            for future in self.waiting.get(key, ()):
                if not future.done():
                    future.set_result(None)
