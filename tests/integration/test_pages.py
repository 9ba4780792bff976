"""The pages for people: dashboard, workflow page, search and order form, as a browser asks."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from eventcollab.codec import decode_event
from eventcollab.models import Order, OrderLine
from tests.integration.fakes import FakeProducer
from tests.integration.test_queries import Tracker
from tests.integration.test_web import build_app
from tests.unit.builders import happy_path, timed_out_path

HTML = {"Accept": "text/html,application/xhtml+xml"}
SCRIPT = "<script>alert(1)</script>"


def with_customer(events: list[Any], customer_id: str) -> list[Any]:
    lines = (OrderLine(sku="PEN", quantity=3, unit_price="2.50"),)
    order = Order.of(customer_id, lines)
    return [e.model_copy(update={"order": order}) for e in events]


@pytest.fixture
async def browser(tmp_path: Path) -> Any:
    producer = FakeProducer(auto=True)
    app = build_app(tmp_path, producer, tracker_url="http://tracker.test")
    async with TestClient(TestServer(app.routes)) as client:
        yield app, client, producer


async def test_the_workflow_page_shows_status_lines_steps_and_the_step_awaited(
    browser: Any,
) -> None:
    app, client, _ = browser
    steps = with_customer(happy_path(), "ann")
    await Tracker(app).record(*steps[:2])
    cid = steps[0].correlation_id

    running = await client.get(f"/workflows/{cid}", headers=HTML)
    html = await running.text()

    assert running.content_type == "text/html"
    assert 'id="status">in_progress<' in html
    assert "inventory: reserve stock" in html and "shipping: schedule the shipment" in html
    assert "<td>PEN</td>" in html and ">7.50<" in html  # 3 x 2.50
    assert html.count('class="step"') == 2 and "+1000 ms" in html
    assert "EventSource" in html and 'http-equiv="refresh"' in html  # live, with or without JS

    await Tracker(app).record(*steps[2:])
    done = await (await client.get(f"/workflows/{cid}", headers=HTML)).text()
    as_json = await client.get(f"/workflows/{cid}")

    assert 'id="status">completed<' in done
    assert "EventSource" not in done and "refresh" not in done
    assert as_json.content_type == "application/json"


async def test_the_page_of_a_cancellation_shows_compensation_then_the_reason_and_late_steps(
    browser: Any,
) -> None:
    app, client, _ = browser
    events = timed_out_path()
    cid = events[0].correlation_id
    await Tracker(app).record(*events[:5])  # the deadline passed: compensation begins

    compensating = await (await client.get(f"/workflows/{cid}", headers=HTML)).text()
    assert 'id="status">compensating<' in compensating
    assert 'id="compensating"' in compensating and "payments: refund the payment" in compensating
    assert "EventSource" in compensating  # still moving: live

    await Tracker(app).record(*events[5:])
    done = await (await client.get(f"/workflows/{cid}", headers=HTML)).text()
    assert 'id="status">cancelled<' in done
    assert 'id="timed-out">shipping: schedule the shipment<' in done
    assert "deadline passed" in done
    assert done.count('class="step late"') == 1 and "(late: after the cancellation)" in done


async def test_values_from_events_and_requests_are_escaped(browser: Any) -> None:
    app, client, _ = browser
    steps = with_customer(happy_path(), SCRIPT)
    await Tracker(app).record(*steps)

    page = await (await client.get(f"/workflows/{steps[0].correlation_id}", headers=HTML)).text()
    dashboard = await (await client.get("/", headers=HTML)).text()
    search = await client.get(f"/search?id={SCRIPT}", allow_redirects=False)

    for html in (page, dashboard):
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert search.status == 303
    assert "<" not in search.headers["Location"]


async def test_the_dashboard_shows_counts_latest_and_oldest_in_progress(browser: Any) -> None:
    app, client, _ = browser
    done, running = happy_path(), happy_path()[:1]
    await Tracker(app).record(*done, *running)

    html = await (await client.get("/", headers=HTML)).text()

    assert 'data-status="completed">1<' in html and 'data-status="in_progress">1<' in html
    latest = html[html.index('id="latest"') : html.index('id="oldest"')]
    assert done[0].correlation_id in latest and running[0].correlation_id in latest
    oldest = html[html.index('id="oldest"') :]
    assert running[0].correlation_id in oldest and done[0].correlation_id not in oldest
    assert 'action="/orders/form"' in html


async def test_the_order_form_places_an_order_and_goes_to_its_page(browser: Any) -> None:
    _, client, producer = browser
    form = {"customer_id": "bo", "sku": "PEN", "quantity": "2", "unit_price": "1.50"}

    placed = await client.post("/orders/form", data=form, allow_redirects=False)
    refused = await client.post("/orders/form", data=form | {"quantity": "0"})

    [sent] = producer.sent
    event = decode_event(sent.value or b"")
    assert placed.status == 303
    assert placed.headers["Location"] == f"http://tracker.test/workflows/{event.correlation_id}"
    assert str(event.order.total) == "3.00"
    assert refused.status == 422
    assert "quantity" in await refused.text()


async def test_a_page_asked_for_before_the_first_step_is_recorded_waits_for_it(
    browser: Any,
) -> None:
    app, client, _ = browser
    placed = happy_path()[0]
    asking = asyncio.create_task(client.get(f"/workflows/{placed.correlation_id}", headers=HTML))
    await asyncio.sleep(0.1)

    await Tracker(app).record(placed)

    response = await asyncio.wait_for(asking, timeout=2)
    assert response.status == 200
    assert 'id="status">in_progress<' in await response.text()
