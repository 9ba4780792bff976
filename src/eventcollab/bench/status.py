"""GET /workflows/{id} on the tracker at a fixed request rate: the status query's latency."""

import asyncio
import random
import time
from collections import Counter
from typing import Any

import aiohttp

from eventcollab.bench.stats import summary_ms


class Asker:
    """Latency of each answered query, from its scheduled time; failures counted by kind."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.samples: list[float] = []
        self.failures: Counter[str] = Counter()

    async def ask(self, key: str, at: float) -> None:
        try:
            async with self.http.get(f"{self.url}/workflows/{key}") as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            self.failures[type(error).__name__] += 1
            return
        if response.status != 200:
            self.failures[str(response.status)] += 1
        else:
            self.samples.append(time.monotonic() - at)


async def probe(url: str, keys: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """`rate` requests a second for `seconds`, each for a random known workflow.

    Latency counts from the scheduled time, as the order latency does.
    """
    chance, count = random.Random(7), int(rate * seconds)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        asker, began, pending = Asker(http, url), time.monotonic(), []
        for number in range(count):
            at = began + number / rate
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            pending.append(asyncio.create_task(asker.ask(chance.choice(keys), at)))
        await asyncio.gather(*pending)
    summary = {"rate": rate, "requests": count, "ok": len(asker.samples)}
    return summary | {"failures": dict(asker.failures), **summary_ms(asker.samples)}
