"""Two tracker workers: either one answers for every workflow, and one answers alone after the
other stops."""

import asyncio
import time
from datetime import datetime
from typing import Any
from uuid import uuid4

import aiohttp

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, eventually, place_order

WORKFLOWS = 200
SERVED_BY = "X-Eventcollab-Served-By"


async def terminal(http: aiohttp.ClientSession, url: str, cid: str) -> tuple[Any, str | None]:
    """The workflow once it ended (held by the server until then), and who answered."""
    async with http.get(f"{url}/workflows/{cid}?wait=terminal&timeout=60") as response:
        assert response.status == 200, await response.text()
        return await response.json(), response.headers.get(SERVED_BY)


async def lateness(http: aiohttp.ClientSession, url: str, cid: str) -> float:
    """Seconds between the later of the request and the outcome's recording, and the answer."""
    asked = time.time()
    state, _ = await terminal(http, url, cid)
    answered_at = time.time()
    [outcome] = [step for step in state["timeline"] if step["event_type"] == "OrderCompleted"]
    ended = datetime.fromisoformat(outcome["recorded_at"]).timestamp()
    return answered_at - max(asked, ended)


async def answered(http: aiohttp.ClientSession, url: str, cid: str) -> Any:
    """The state, or None while the partition moves (503); an unknown workflow fails the test."""
    async with http.get(f"{url}/workflows/{cid}") as response:
        assert response.status in (200, 503), f"{response.status} {await response.text()}"
        if response.status == 503:
            assert response.headers["Retry-After"] == "1"
            return None
        return await response.json()


async def json_of(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def place(
    deployment: Deployment, http: aiohttp.ClientSession, count: int, trackers: tuple[str, str]
) -> tuple[list[str], list[asyncio.Task[float]]]:
    """Orders placed in waves, as clients would, each followed by a wait for its end."""
    sku = f"SKU-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, str(count))
    body = {"customer_id": "eve", "items": [{"sku": sku, "quantity": 1, "unit_price": "2.00"}]}
    placed: list[str] = []
    waiting: list[asyncio.Task[float]] = []
    for _ in range(0, count, 50):
        wave = await asyncio.gather(
            *(place_order(http, deployment.orders_url, body) for _ in range(50))
        )
        for number, cid in enumerate(wave):
            tracker = trackers[number % 2]
            waiting.append(asyncio.create_task(lateness(http, tracker, cid)))
        placed += wave
    return placed, waiting


async def test_either_tracker_worker_answers_for_every_workflow_and_one_alone_after_a_stop(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "orders", "payments", "inventory", "shipping")
    first = deployment.worker("tracker").start()
    second = deployment.worker("tracker", label="tracker-2").start()
    first.wait_ready()
    second.wait_ready()

    # Callers wait for each workflow's end as soon as it is placed, at either worker.
    placed, waiting = await place(deployment, http, WORKFLOWS, (first.url, second.url))
    late = await asyncio.gather(*waiting)
    assert max(late) < 1.0, sorted(late)[-5:]  # answered at the end, not at the timeout
    from_first = await asyncio.gather(*(terminal(http, first.url, c) for c in placed))
    from_second = await asyncio.gather(*(terminal(http, second.url, c) for c in placed))

    assert [state for state, _ in from_first] == [state for state, _ in from_second]
    assert {state["status"] for state, _ in from_first} == {"completed"}
    assert [state["correlation_id"] for state, _ in from_first] == placed
    # Each worker answered about half itself and had the other half answered by its owner.
    forwarded = [by for _, by in from_first if by] + [by for _, by in from_second if by]
    assert set(forwarded) == {first.url, second.url}
    assert 0 < len(forwarded) < 2 * WORKFLOWS

    # Lists and counts, merged by whichever worker is asked, against the test's own records.
    for url in (first.url, second.url):
        listed = await json_of(http, f"{url}/workflows?status=completed&limit=500")
        assert sorted(w["correlation_id"] for w in listed["workflows"]) == sorted(placed)
        assert (await json_of(http, f"{url}/workflows?status=in_progress"))["workflows"] == []
        stats = await json_of(http, f"{url}/workflows/stats")
        counts = {
            "in_progress": 0,
            "compensating": 0,
            "completed": WORKFLOWS,
            "rejected": 0,
            "cancelled": 0,
        }
        assert stats["counts"] == counts
        assert sum(m["count"] for m in stats["finished_per_minute"]) == WORKFLOWS
    paged = deployment.run_command("list", "--status", "completed", "--limit", "50").splitlines()
    assert len([line for line in paged if " completed " in line]) == 50
    assert paged[-1].startswith("more: --before ")

    # `status` and `watch` ask the first worker (EVENTCOLLAB_TRACKER_URL) about a workflow that
    # the second owns: forwarded, the answer and the event stream come from the second.
    state = next(state for state, by in from_first if by == second.url)
    cid = state["correlation_id"]
    assert "status    completed" in deployment.run_command("status", cid)
    watched = deployment.run_command("watch", cid).splitlines()
    steps = [line.split()[1] for line in watched if line.startswith("  ")]
    assert steps == [entry["event_type"] for entry in state["timeline"]]
    assert watched[-1] == f"{cid} completed"

    first.stop()  # its partitions move to the second worker, which restores them

    async def all_from_second() -> list[Any] | None:
        states = await asyncio.gather(*(answered(http, second.url, c) for c in placed))
        return states if all(states) else None

    after = await eventually(all_from_second, timeout=60)
    assert after == [state for state, _ in from_first]
