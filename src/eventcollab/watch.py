"""`eventcollab watch ID`: a workflow's steps printed as the tracker records them, to its end.

It reads the tracker's Server-Sent Events stream (`GET /workflows/{id}/events`), from any worker
that runs the tracker.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp

from eventcollab import auth
from eventcollab.presentation import StepView
from eventcollab.render import step_line
from eventcollab.settings import Settings


async def server_sent(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each event of a Server-Sent Events stream."""
    event = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            yield event, line.removeprefix("data:").strip()


async def follow(
    url: str, say: Callable[[str], None], seen: set[str], headers: Mapping[str, str]
) -> str | None:
    """Print each step of the workflow at `url` not in `seen`; returns its outcome (None: the
    stream broke off, or the workflow's partition moved and the stream should be opened again)."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with (
        aiohttp.ClientSession(timeout=timeout, headers=headers) as http,
        http.get(url) as response,
    ):
        if response.status != 200:
            raise WatchFailed(f"{response.status}: {(await response.read()).decode()}")
        async for event, data in server_sent(response):
            if event == "step":
                entry = StepView.model_validate_json(data)
                if str(entry.event_id) not in seen:
                    seen.add(str(entry.event_id))
                    say(step_line(entry))
            elif event == "end":
                outcome: str = json.loads(data)["status"]
                return outcome
    return None


RECONNECT_SECONDS = 1.0


class WatchFailed(Exception):
    pass


def install_watch_command(app: Any, settings: Settings) -> None:
    from faust.cli import argument

    @app.command(argument("correlation_id"))
    async def watch(self: Any, correlation_id: str) -> None:
        """Print a workflow's steps as they are recorded, until it ends."""
        base = settings.tracker_url or settings.local_url
        url, seen = f"{base}/workflows/{correlation_id}/events", set[str]()
        while True:
            try:
                outcome = await follow(url, self.say, seen, auth.headers(settings))
            except (aiohttp.ClientError, WatchFailed) as error:
                self.say(f"cannot watch {correlation_id} at {url}: {error}")
                raise SystemExit(1) from error
            if outcome is not None:
                self.say(f"{correlation_id} {outcome}")
                return
            await asyncio.sleep(RECONNECT_SECONDS)  # the stream broke off: open it again
