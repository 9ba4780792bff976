"""GET /workflows/{id} from any worker, and held until the workflow exists or ends.

aiohttp's test client on the worker's routes; the tracker's partitions and their owners are set by
hand, and a second set of routes plays the owner of the partitions the first does not own.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web as aioweb
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from eventcollab.codec import encode
from eventcollab.models import Event
from eventcollab.runtime.kafka import partition_for
from eventcollab.web.forward import FORWARDED, SERVED_BY
from tests.integration.fakes import FakeProducer, record
from tests.integration.test_web import build_app
from tests.unit.builders import happy_path


class Tracker:
    """Feeds a worker's tracker events of one workflow, as its consumer would."""

    def __init__(self, app: Any) -> None:
        self.processor = app.runtime.processor("tracker")
        self.offset = 0

    async def record(self, *events: Event) -> None:
        for event in events:
            cid = event.correlation_id
            number = partition_for(cid, self.processor.settings.partitions)
            tp = TopicPartition(self.processor.spec.inputs[0], number)
            batch = [record(tp.topic, number, self.offset, cid, encode(event))]
            self.offset += 1
            await self.processor.process({tp: batch})


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[tuple[Any, TestClient[Any, Any]]]:
    app = build_app(tmp_path, FakeProducer(auto=True))
    async with TestClient(TestServer(app.routes)) as client:
        yield app, client


async def answered_after(client: TestClient[Any, Any], url: str) -> asyncio.Task[Any]:
    """The request, started and given time to reach the server and wait there."""
    asking = asyncio.create_task(client.get(url))
    await asyncio.sleep(0.1)
    return asking


async def test_wait_terminal_answers_when_the_last_step_is_recorded_and_not_before(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    tracker, (*steps, last) = Tracker(app), happy_path()
    cid = last.correlation_id
    await tracker.record(steps[0])

    waiting = [await answered_after(client, f"/workflows/{cid}?wait=terminal") for _ in range(3)]
    await tracker.record(*steps[1:])
    await asyncio.sleep(0.1)
    assert not any(asking.done() for asking in waiting)  # in progress: every caller still waits

    await tracker.record(last)
    for asking in waiting:  # many callers on one id, each answered
        response = await asyncio.wait_for(asking, timeout=2)
        assert response.status == 200
        assert (await response.json())["status"] == "completed"


async def test_wait_exists_answers_when_the_workflow_first_appears(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    placed = happy_path()[0]
    asking = await answered_after(client, f"/workflows/{placed.correlation_id}?wait=exists")
    assert not asking.done()

    await Tracker(app).record(placed)

    response = await asyncio.wait_for(asking, timeout=2)
    assert response.status == 200
    assert (await response.json())["status"] == "in_progress"


async def test_a_wait_that_times_out_says_so_with_the_state_so_far(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    placed = happy_path()[0]
    unknown = await client.get(f"/workflows/{placed.correlation_id}?wait=exists&timeout=0.2")
    await Tracker(app).record(placed)

    running = await client.get(f"/workflows/{placed.correlation_id}?wait=terminal&timeout=0.2")

    assert unknown.status == 404
    assert running.status == 202
    assert (await running.json())["status"] == "in_progress"


@pytest.mark.parametrize(
    "query", ["wait=soon", "wait=terminal&timeout=-1", "wait=terminal&timeout=9999", "timeout=x"]
)
async def test_a_wrong_wait_or_timeout_is_400(
    worker: tuple[Any, TestClient[Any, Any]], query: str
) -> None:
    _, client = worker

    response = await client.get(f"/workflows/some-id?{query}")

    assert response.status == 400
    assert "error" in await response.json()


async def test_a_waiting_query_is_told_when_the_partition_moves_away(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    placed = happy_path()[0]
    await Tracker(app).record(placed)
    asking = await answered_after(client, f"/workflows/{placed.correlation_id}?wait=terminal")

    await app.runtime.processor("tracker").revoked([])

    response = await asyncio.wait_for(asking, timeout=2)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"


def not_owning(app: Any, correlation_id: str, owner: str | None) -> None:
    """The worker no longer owns the workflow's partition; `owner` does (None: nobody yet)."""
    tracker = app.runtime.processor("tracker")
    partition = partition_for(correlation_id, tracker.settings.partitions)
    tracker.owned = tracker.owned - {partition}
    tracker.owners = {partition: owner} if owner else {}


async def test_a_query_for_another_workers_partition_is_answered_by_that_worker(
    tmp_path: Path,
) -> None:
    owner, asked = build_app(tmp_path / "a", FakeProducer(auto=True)), None
    placed = happy_path()[0]
    await Tracker(owner).record(placed)
    async with TestClient(TestServer(owner.routes)) as at_owner:
        owner_url = str(at_owner.make_url("")).rstrip("/")
        asked = build_app(tmp_path / "b", FakeProducer(auto=True))
        not_owning(asked, placed.correlation_id, owner_url)
        async with TestClient(TestServer(asked.routes)) as client:
            response = await client.get(f"/workflows/{placed.correlation_id}")
            body = await response.json()
            direct = await (await at_owner.get(f"/workflows/{placed.correlation_id}")).json()

    assert response.status == 200
    assert response.headers[SERVED_BY] == owner_url
    assert body == direct
    assert body["correlation_id"] == placed.correlation_id


async def test_an_unreachable_owner_is_503_to_ask_again_naming_it(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    cid = happy_path()[0].correlation_id
    not_owning(app, cid, "http://127.0.0.1:9")  # nothing listens on port 9
    async with TestClient(TestServer(app.routes)) as client:
        response = await client.get(f"/workflows/{cid}")
        body = await response.json()

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert body["owner"] == "http://127.0.0.1:9"


async def test_an_owner_that_does_not_answer_in_time_is_504(tmp_path: Path) -> None:
    async def never(request: aioweb.Request) -> aioweb.Response:
        await asyncio.sleep(10)
        return aioweb.Response()

    silent = aioweb.Application()
    silent.router.add_get("/workflows/{correlation_id}", never)
    app = build_app(tmp_path, FakeProducer(auto=True), forward_seconds=0.2)
    cid = happy_path()[0].correlation_id
    async with TestClient(TestServer(silent)) as owner:
        not_owning(app, cid, str(owner.make_url("")).rstrip("/"))
        async with TestClient(TestServer(app.routes)) as client:
            response = await client.get(f"/workflows/{cid}")

    assert response.status == 504


async def test_a_forwarded_query_is_not_forwarded_again_and_no_owner_is_503(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    cid = happy_path()[0].correlation_id
    not_owning(app, cid, "http://127.0.0.1:9")
    again = await client.get(f"/workflows/{cid}", headers={FORWARDED: "http://elsewhere"})
    not_owning(app, cid, None)
    nobody = await client.get(f"/workflows/{cid}")

    assert again.status == 503
    assert nobody.status == 503


async def events_of(response: Any) -> list[tuple[str, str]]:
    """(event, data) of each Server-Sent Event until the stream ends."""
    found, event = [], ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            found.append((event, line.removeprefix("data: ")))
    return found


async def test_the_event_stream_sends_each_step_as_recorded_and_ends_after_the_outcome(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    tracker, steps = Tracker(app), happy_path()
    await tracker.record(steps[0])
    response = await client.get(f"/workflows/{steps[0].correlation_id}/events")
    assert response.headers["Content-Type"] == "text/event-stream"
    reading = asyncio.create_task(events_of(response))

    for step in steps[1:]:
        await asyncio.sleep(0.05)
        assert not reading.done()  # the stream stays open until the outcome
        await tracker.record(step)
    events = await asyncio.wait_for(reading, timeout=2)

    assert [kind for kind, _ in events] == ["step"] * len(steps) + ["end"]
    sent_types = [json.loads(data)["event_type"] for _, data in events[:-1]]
    assert sent_types == [step.event_type for step in steps]
    assert json.loads(events[-1][1]) == {"status": "completed"}


async def test_the_event_stream_of_another_workers_workflow_comes_from_its_owner(
    tmp_path: Path,
) -> None:
    owner = build_app(tmp_path / "a", FakeProducer(auto=True))
    steps = happy_path()
    await Tracker(owner).record(*steps)
    async with TestClient(TestServer(owner.routes)) as at_owner:
        owner_url = str(at_owner.make_url("")).rstrip("/")
        asked = build_app(tmp_path / "b", FakeProducer(auto=True))
        not_owning(asked, steps[0].correlation_id, owner_url)
        async with TestClient(TestServer(asked.routes)) as client:
            response = await client.get(f"/workflows/{steps[0].correlation_id}/events")
            events = await asyncio.wait_for(events_of(response), timeout=2)

    assert response.headers[SERVED_BY] == owner_url
    assert [kind for kind, _ in events] == ["step"] * len(steps) + ["end"]
