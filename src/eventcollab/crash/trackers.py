"""Where workflows stand, asked of every tracker: each answers only for the partitions it owns."""

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp

from eventcollab.crash.report import say

TERMINAL = ("completed", "rejected", "cancelled")
CONCURRENT_REQUESTS = 16


class Trackers:
    def __init__(self, urls: Callable[[], list[str]]) -> None:
        self.urls = urls
        self.limit = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def state(self, http: aiohttp.ClientSession, correlation_id: str) -> Any:
        """The tracker's JSON from whichever tracker owns the workflow, or None."""
        for url in self.urls():
            try:
                async with self.limit, http.get(f"{url}/workflows/{correlation_id}") as response:
                    if response.status == 200:
                        return await response.json()
            except (aiohttp.ClientError, TimeoutError):
                continue  # a tracker going down or still starting: ask the others, or later
        return None

    async def states(self, correlation_ids: Iterable[str]) -> dict[str, Any]:
        ids = list(correlation_ids)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            found = await asyncio.gather(*(self.state(http, cid) for cid in ids))
        return {cid: state for cid, state in zip(ids, found, strict=True) if state is not None}

    async def until_terminal(
        self, correlation_ids: Iterable[str], timeout: float
    ) -> dict[str, Any]:
        """Ask until every workflow has an outcome or the deadline passed; the last states."""
        deadline = time.monotonic() + timeout
        waiting = set(correlation_ids)
        last: dict[str, Any] = {}
        while waiting:
            last.update(await self.states(waiting))
            waiting = {cid for cid in waiting if last.get(cid, {}).get("status") not in TERMINAL}
            if not waiting or time.monotonic() > deadline:
                break
            say(f"tracker: {len(waiting)} workflows not concluded yet")
            await asyncio.sleep(2.0)
        return last

    async def waiting_for(self, service: str, correlation_ids: Iterable[str]) -> list[str]:
        """The workflows still in progress whose next step belongs to `service`."""
        states = await self.states(correlation_ids)
        return [
            cid
            for cid, state in states.items()
            if state["status"] == "in_progress"
            and (state.get("waiting_for") or {}).get("service") == service
        ]
