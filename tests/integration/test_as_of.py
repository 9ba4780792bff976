"""GET /workflows/{id}?as_of=TIME: how a workflow stood at a time, from the owner of its state."""

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.fakes import FakeProducer
from tests.integration.test_queries import Tracker, not_owning
from tests.integration.test_web import build_app
from tests.unit.builders import at, happy_path

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[tuple[Any, TestClient[Any, Any]]]:
    app = build_app(tmp_path, FakeProducer(auto=True))
    async with TestClient(TestServer(app.routes)) as client:
        yield app, client


def url(correlation_id: str, instant: str) -> str:
    return f"/workflows/{correlation_id}?as_of={quote(instant)}"


async def test_a_completed_workflow_as_of_a_time_between_two_steps_shows_only_the_earlier_ones(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    events = happy_path()  # one second apart, from at(0)
    await Tracker(app).record(*events)
    cid = events[0].correlation_id

    response = await client.get(url(cid, (at(1) + timedelta(milliseconds=500)).isoformat()))
    body = await response.json()

    assert response.status == 200
    assert body["status"] == "in_progress"
    assert body["waiting_for"] == {"service": "inventory", "action": "reserve stock"}
    assert [step["event_type"] for step in body["timeline"]] == ["OrderPlaced", "PaymentAuthorized"]
    now = await (await client.get(f"/workflows/{cid}")).json()
    assert now["status"] == "completed" and len(now["timeline"]) == 5


async def test_a_time_without_a_zone_is_utc(worker: tuple[Any, TestClient[Any, Any]]) -> None:
    app, client = worker
    events = happy_path()
    await Tracker(app).record(*events)
    cid = events[0].correlation_id

    naive = await client.get(url(cid, at(2).replace(tzinfo=None).isoformat()))
    aware = await client.get(url(cid, at(2).isoformat()))

    assert naive.status == aware.status == 200
    assert await naive.json() == await aware.json()
    assert [s["event_type"] for s in (await naive.json())["timeline"]][-1] == "StockReserved"


async def test_before_the_first_step_or_for_an_unknown_workflow_it_is_404(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    events = happy_path()
    await Tracker(app).record(*events)

    early = await client.get(url(events[0].correlation_id, (at(0) - timedelta(1)).isoformat()))
    unknown = await client.get(url("no-such-workflow", at(0).isoformat()))

    assert early.status == 404
    assert (await early.json())["error"] == "the workflow had no step yet then"
    assert unknown.status == 404
    assert (await unknown.json())["error"] == "unknown workflow"


@pytest.mark.parametrize(
    "query",
    [
        "as_of=yesterday",
        "as_of=",
        "as_of=2024-13-01T00:00:00",
        "as_of=2024-05-01T12:00:00&wait=exists",
    ],
)
async def test_a_bad_time_or_a_wait_with_it_is_400(
    worker: tuple[Any, TestClient[Any, Any]], query: str
) -> None:
    app, client = worker
    events = happy_path()
    await Tracker(app).record(*events)

    response = await client.get(f"/workflows/{events[0].correlation_id}?{query}")

    assert response.status == 400
    assert "as_of" in (await response.json())["error"]


async def test_asked_of_a_worker_that_does_not_own_the_workflow_the_owner_answers_as_of_then(
    tmp_path: Path,
) -> None:
    owner = build_app(tmp_path / "a", FakeProducer(auto=True))
    events = happy_path()
    cid = events[0].correlation_id
    await Tracker(owner).record(*events)
    async with TestClient(TestServer(owner.routes)) as at_owner:
        asked = build_app(tmp_path / "b", FakeProducer(auto=True))
        not_owning(asked, cid, str(at_owner.make_url("")).rstrip("/"))
        async with TestClient(TestServer(asked.routes)) as client:
            response = await client.get(url(cid, at(3).isoformat()))
            body = await response.json()

    assert response.status == 200
    assert body["status"] == "in_progress"
    assert body["waiting_for"]["service"] == "orders"
    assert len(body["timeline"]) == 4


async def test_the_page_as_of_a_time_shows_it_and_does_not_follow_the_workflow_live(
    worker: tuple[Any, TestClient[Any, Any]],
) -> None:
    app, client = worker
    events = happy_path()
    await Tracker(app).record(*events)
    cid = events[0].correlation_id

    page = await client.get(url(cid, at(1).isoformat()), headers=HTML)
    html = await page.text()
    early = await client.get(url(cid, (at(0) - timedelta(1)).isoformat()), headers=HTML)

    assert page.status == 200 and page.content_type == "text/html"
    assert 'id="status">in_progress<' in html and 'id="as-of"' in html
    assert html.count('class="step"') == 2
    assert "EventSource" not in html and 'http-equiv="refresh"' not in html
    assert early.status == 404 and "No step yet" in await early.text()
