"""The live flow map through the faults: asked for all along, so that each tracker worker keeps
its partitions' maps and moves them on through kills, rebalances and broker outages; at the end
it must equal the map that `eventcollab flow` makes of the whole log."""

import asyncio
import json
from typing import Any

import aiohttp

from eventcollab.crash.processes import EVENTCOLLAB
from eventcollab.crash.report import say
from eventcollab.crash.run import Run

ASKED_EVERY = 2.0
SETTLE_SECONDS = 60.0
COMPARED = ("workflows", "nodes", "edges", "counters", "variants", "deviations")


async def live_map(http: aiohttp.ClientSession, url: str) -> Any:
    """The merged map, or None while partitions move or the worker is down."""
    try:
        async with http.get(f"{url}/flow") as response:
            return await response.json() if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


async def watch(run: Run) -> None:
    """Ask every tracker for the map every few seconds until cancelled; count the answers."""
    # A plain dict: the report is made with dataclasses.asdict, which rebuilds a Counter from
    # its items as if they were elements to count.
    answers = {"served": 0, "not served": 0}
    run.report.observations["flow_map_answers"] = answers
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while True:
            for url in run.trackers.urls():
                answers["served" if await live_map(http, url) else "not served"] += 1
            await asyncio.sleep(ASKED_EVERY)


async def of_the_log(run: Run) -> Any:
    path = run.options.root / "flow.json"
    process = await asyncio.create_subprocess_exec(
        str(EVENTCOLLAB),
        "flow",
        "--json",
        str(path),
        env=run.deployment.env("all"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.wait_for(process.wait(), SETTLE_SECONDS)
    return json.loads(path.read_text()) if path.exists() else None


async def matches_the_log(run: Run) -> None:
    """Once every workflow concluded and every group caught up: the live map is the log's."""
    say("comparing the live flow map with the map of the log")
    offline = await of_the_log(run)
    live, deadline = None, asyncio.get_running_loop().time() + SETTLE_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        while asyncio.get_running_loop().time() < deadline:
            urls = run.trackers.urls()
            live = await live_map(http, urls[0]) if urls else None
            if live is not None and offline is not None and same(live, offline):
                break
            await asyncio.sleep(1.0)
    differing = [p for p in COMPARED if live is None or offline is None or live[p] != offline[p]]
    answers = run.report.observations.get("flow_map_answers", {})
    detail = f"differing: {differing}; asked during the run: {dict(answers)}"
    if live is not None:
        detail = f"{live['workflows']} workflows, {len(live['variants'])} variants; " + detail
    run.report.check("the live flow map equals the map of the log", not differing, detail)


def same(live: Any, offline: Any) -> bool:
    return all(live[part] == offline[part] for part in COMPARED)
