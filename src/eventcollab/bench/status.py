"""GET /workflows/{id} on the tracker at a fixed request rate: the status query's latency.

The queries are sent from a process of their own (`python -m eventcollab.bench.status`): in the
bench's process they would wait behind its order feeder and completion reader, whose event-loop
turns take up to tens of milliseconds, and that wait would be counted against the contender.
"""

import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

from eventcollab.bench.quiet import uncollected
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


async def ask_at_rate(url: str, keys: list[str], rate: float, seconds: float) -> dict[str, Any]:
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


async def probe(url: str, keys: list[str], rate: float, seconds: float) -> dict[str, Any]:
    """`ask_at_rate` in a process of its own; returns its summary."""
    asking = await asyncio.create_subprocess_exec(
        sys.executable, "-m", __name__, url, str(rate), str(seconds),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, _ = await asking.communicate(json.dumps(keys).encode())
    except asyncio.CancelledError:
        asking.kill()
        raise
    if asking.returncode != 0:
        raise RuntimeError(f"the status prober failed with exit code {asking.returncode}")
    answer: dict[str, Any] = json.loads(out)
    return answer


def main(argv: list[str]) -> int:
    url, rate, seconds = argv[0], float(argv[1]), float(argv[2])
    keys = json.loads(sys.stdin.buffer.read())
    with uncollected():  # its own pauses would be counted as the contender's
        answer = asyncio.run(ask_at_rate(url, keys, rate, seconds))
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
