"""GET /workflows and GET /workflows/stats: from the index the tracker keeps, over two workers."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from eventcollab.models import Event
from eventcollab.runtime.kafka import partition_for
from tests.integration.fakes import FakeProducer
from tests.integration.test_queries import Tracker
from tests.integration.test_web import build_app
from tests.unit.builders import declined_path, happy_path


def later(events: list[Event], seconds: int) -> list[Event]:
    """The same workflow started `seconds` later."""
    shift = timedelta(seconds=seconds)
    return [e.model_copy(update={"occurred_at": e.occurred_at + shift}) for e in events]


async def record_workflows(app: Any, count: int) -> dict[str, list[str]]:
    """`count` workflows started a second apart: even ones completed, odd ones rejected, every
    third one left after its first step. Returns the ids by status, newest first."""
    tracker, by_status = Tracker(app), {"in_progress": [], "completed": [], "rejected": []}
    for number in range(count):
        path = later(happy_path() if number % 2 == 0 else declined_path(), number)
        if number % 3 == 0:
            path, status = path[:1], "in_progress"
        else:
            status = "completed" if number % 2 == 0 else "rejected"
        await tracker.record(*path)
        by_status[status].insert(0, path[0].correlation_id)
    return by_status


async def test_workflows_by_status_come_newest_first_page_by_page(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    truth = await record_workflows(app, 30)
    async with TestClient(TestServer(app.routes)) as client:
        pages, url = [], "/workflows?status=completed&limit=4"
        while url:
            body = await (await client.get(url)).json()
            pages.append([w["correlation_id"] for w in body["workflows"]])
            url = body["next"]
        everything = await (await client.get("/workflows?limit=100")).json()
        wrong = await client.get("/workflows?status=lost")

    assert [cid for page in pages for cid in page] == truth["completed"]
    assert max(len(page) for page in pages) == 4
    assert len(everything["workflows"]) == 30
    starts = [w["started_at"] for w in everything["workflows"]]
    assert starts == sorted(starts, reverse=True)
    assert wrong.status == 400


async def test_stats_count_each_status_the_minutes_and_the_oldest_in_progress(
    tmp_path: Path,
) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    truth = await record_workflows(app, 12)
    async with TestClient(TestServer(app.routes)) as client:
        stats = await (await client.get("/workflows/stats")).json()

    assert stats["counts"] == {
        "in_progress": len(truth["in_progress"]),
        "compensating": 0,
        "completed": len(truth["completed"]),
        "rejected": len(truth["rejected"]),
        "cancelled": 0,
    }
    oldest = [w["correlation_id"] for w in stats["oldest_in_progress"]]
    assert oldest == list(reversed(truth["in_progress"]))
    assert len(stats["finished_per_minute"]) == 15  # the builders' events are long past: zeros
    assert sum(m["count"] for m in stats["finished_per_minute"]) == 0


async def test_two_workers_lists_and_counts_are_merged_by_the_worker_asked(
    tmp_path: Path,
) -> None:
    first = build_app(tmp_path / "a", FakeProducer(auto=True))
    second = build_app(tmp_path / "b", FakeProducer(auto=True))
    truth = await record_workflows(first, 20)
    split = set(range(4, 8))  # the second worker's partitions: it reads the same store
    async with TestClient(TestServer(second.routes)) as at_second:
        second_url = str(at_second.make_url("")).rstrip("/")
        first_tracker = first.runtime.processor("tracker")
        second_tracker = second.runtime.processor("tracker")
        second_tracker.store, second_tracker.owned = first_tracker.store, split
        first_tracker.owned = set(range(4))
        me = first.runtime.url
        first_tracker.owners = {n: second_url if n in split else me for n in range(8)}
        async with TestClient(TestServer(first.routes)) as client:
            listed = await (await client.get("/workflows?limit=100")).json()
            stats = await (await client.get("/workflows/stats")).json()
            second_tracker.owned = set(range(5, 8))  # partition 4 now belongs to nobody
            gap = await client.get("/workflows/stats")

    every = {cid for ids in truth.values() for cid in ids}
    assert {w["correlation_id"] for w in listed["workflows"]} == every
    assert {partition_for(cid, 8) for cid in every} & split  # both workers had some
    assert stats["counts"]["completed"] == len(truth["completed"])
    assert gap.status == 503
