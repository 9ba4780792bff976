"""Stuck workflows on the real broker: with shipping paused, exactly the orders it holds up are
listed after StockReserved once they waited their share of the deadline, and they clear when it
resumes. The same run is drilled into, looked at as of an earlier instant and compared."""

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import aiohttp

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, eventually, outcome, place_order
from tests.e2e.test_flow_map import one_line

HELD = 4
SCHEDULE_SECONDS, RATIO = 16.0, 0.25  # stuck after 4 s; cancelled after 16 s
WAITING = "inventory/StockReserved"
EDGE = "inventory/StockReserved -> shipping/ShipmentScheduled"


async def got(http: aiohttp.ClientSession, url: str) -> Any:
    """The answer, or None while partitions move (503)."""
    async with http.get(url) as response:
        assert response.status in (200, 503), await response.text()
        return await response.json() if response.status == 200 else None


async def test_paused_shipping_shows_its_orders_stuck_after_stock_reserved_until_it_resumes(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings |= {
        "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": str(SCHEDULE_SECONDS),
        "EVENTCOLLAB_FLOW_STUCK_RATIO": str(RATIO),
    }
    started(deployment, "orders", "payments", "inventory", "tracker")
    shipping = deployment.worker("shipping").start().wait_ready()
    tracker = deployment.tracker_url
    sku = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, str(HELD + 1))
    before = await place_order(http, deployment.orders_url, one_line(sku, "1.00"))
    assert (await outcome(http, tracker, before))["status"] == "completed"
    between = datetime.now(UTC)
    await asyncio.sleep(0.05)

    assert shipping.process is not None
    os.killpg(shipping.process.pid, signal.SIGSTOP)
    try:
        held = [
            await place_order(http, deployment.orders_url, one_line(sku, "1.00"))
            for _ in range(HELD)
        ]
        placed_at = time.monotonic()

        async def all_stuck() -> Any:
            stuck = await got(http, f"{tracker}/flow/stuck")
            return stuck if stuck and stuck["workflows"] == HELD else None

        stuck = await eventually(all_stuck, timeout=SCHEDULE_SECONDS)
        listed_after = time.monotonic() - placed_at
        limit = SCHEDULE_SECONDS * RATIO
        assert listed_after < limit + 3.0, listed_after  # within T plus a small slack
        assert list(stuck["nodes"]) == [WAITING]
        waiting = stuck["nodes"][WAITING]
        assert sorted(w["correlation_id"] for w in waiting["longest"]) == sorted(held)
        assert {w["waiting_for"]["service"] for w in waiting["longest"]} == {"shipping"}
        assert all(w["waited_ms"] > w["limit_ms"] == limit * 1000 for w in waiting["longest"])
        drawn = await eventually(lambda: got(http, f"{tracker}/flow?grace=1"))
        assert drawn["nodes"][WAITING]["events"] == HELD + 1
        # Without an outcome a second after their start: missing one, if 1 s were the grace.
        late = {"workflows": HELD, "samples": sorted(held)}
        assert drawn["deviations"]["missing terminal"] == late
    finally:
        os.killpg(shipping.process.pid, signal.SIGCONT)

    for cid in held:
        assert (await outcome(http, tracker, cid))["status"] == "completed"

    async def cleared() -> Any:
        stuck = await got(http, f"{tracker}/flow/stuck")
        return stuck if stuck is not None and stuck["workflows"] == 0 else None

    assert (await eventually(cleared, timeout=10))["nodes"] == {}
    after = await eventually(lambda: got(http, f"{tracker}/flow?grace=1"))
    assert after["deviations"]["missing terminal"] == {"workflows": 0, "samples": []}

    # Drill-down: the held orders took the edge out of StockReserved slowest, by the pause.
    took = await eventually(lambda: got(http, f"{tracker}/flow/edges/{quote(EDGE, safe='')}"))
    assert took["edge"] == EDGE and took["took"]["count"] == HELD + 1
    slowest = [w["correlation_id"] for w in took["took"]["slowest"]]
    assert sorted(slowest[:HELD]) == sorted(held) and slowest[HELD] == before
    assert took["failed"]["count"] == 0
    reached = await got(http, f"{tracker}/flow/nodes/{quote('orders/OrderCompleted', safe='')}")
    assert reached["reached"]["count"] == HELD + 1

    # As of the instant between the first order and the held ones: the first order alone.
    then = await got(http, f"{tracker}/flow/as-of?at={quote(between.isoformat())}")
    assert then["workflows"] == 1 and then["nodes"]["orders/OrderCompleted"]["events"] == 1
    now = await got(http, f"{tracker}/flow/as-of?at={quote(datetime.now(UTC).isoformat())}")
    assert now["workflows"] == HELD + 1
    hour = timedelta(hours=1)
    a = f"{(between - hour).isoformat()}/{between.isoformat()}"
    b = f"{between.isoformat()}/{(between + hour).isoformat()}"
    compared = await got(http, f"{tracker}/flow/diff?a={quote(a)}&b={quote(b)}")
    assert (compared["a"]["workflows"], compared["b"]["workflows"]) == (1, HELD)
    hop = compared["diff"]["edges"][EDGE]
    assert (hop["in_a"], hop["in_b"], hop["difference"]) == (1, HELD, HELD - 1)
    assert hop["p50_b_ms"] > limit * 1000 > hop["p50_a_ms"]  # the pause, seen in window b
    async with http.get(f"{tracker}/flow/as-of?at=yesterday") as wrong:
        assert wrong.status == 400 and "ISO 8601" in (await wrong.json())["error"]
    async with http.get(f"{tracker}/flow?grace=soon") as wrong:
        assert wrong.status == 400 and "grace" in (await wrong.json())["error"]
