"""The flow map for people: the dashboard's Flow section, its stream, the drill-down pages and
the workflow page's causal tree, over a tracker fed real paths."""

import asyncio
import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from eventcollab.runtime.kafka import partition_for
from eventcollab.web import flow
from tests.integration.fakes import FakeProducer
from tests.integration.test_queries import Tracker
from tests.integration.test_web import build_app
from tests.unit.builders import declined_path, happy_path, order_placed, timed_out_path

HTML = {"Accept": "text/html,application/xhtml+xml"}
PAID = "payments/PaymentAuthorized"
TO_RESERVED = "payments/PaymentAuthorized -> inventory/StockReserved"


@pytest.fixture
async def browser(tmp_path: Path) -> Any:
    app = build_app(tmp_path, FakeProducer(auto=True), tracker_url="http://tracker.test")
    async with TestClient(TestServer(app.routes)) as client:
        yield app, client


def drawn_count(html: str, kind: str, name: str) -> int:
    attribute = re.escape(escape(name))
    found = re.search(f'<g class="{kind}" data-{kind}="{attribute}" data-count="(\\d+)"', html)
    assert found is not None, f"no {kind} {name}"
    return int(found.group(1))


def section(html: str) -> str:
    return html[html.index('<section id="flow"') : html.index("</section>")]


async def test_the_dashboard_draws_the_map_with_stuck_workflows_variants_and_deviations(
    browser: Any,
) -> None:
    app, client = browser
    done, again, refused = happy_path(), happy_path(), declined_path()
    doubled = happy_path()
    twice = doubled[1].model_copy(update={"event_id": uuid4()})  # paid twice: a duplicate
    waiting = happy_path()[:2]  # paid long ago (the builders' clock): past half of 120 s
    await Tracker(app).record(*done, *again, *refused, *doubled, twice, *waiting)

    flow = section(await (await client.get("/", headers=HTML)).text())

    assert drawn_count(flow, "node", "orders/OrderPlaced") == 5
    assert drawn_count(flow, "node", "orders/OrderCompleted") == 3
    assert drawn_count(flow, "node", "orders/OrderRejected") == 1
    assert drawn_count(flow, "edge", TO_RESERVED) == 3
    assert re.search(f'data-node="{PAID}" data-count="5" data-mark="expected" data-stuck="1"', flow)
    stuck = flow[flow.index('id="stuck"') : flow.index('id="variants"')]
    assert f'data-node="{PAID}" data-count="1"' in stuck
    link = f'<a href="/flow/nodes/{PAID}">{PAID}</a>'
    assert f"waiting after {link} for longer than 60.0 s" in stuck
    assert f'href="/workflows/{waiting[0].correlation_id}"' in stuck
    assert done[0].correlation_id not in stuck
    variants = re.findall(r'data-variant="\w+" data-count="(\d+)"', flow)
    assert sorted(variants) == ["1", "1", "2"]  # completed twice, declined, paid twice
    duplicate = flow[flow.index('data-deviation="duplicate"') :].split("</tr>")[0]
    assert 'data-count="1"' in duplicate and doubled[0].correlation_id[:8] in duplicate


async def test_an_edge_and_a_node_answer_a_browser_with_their_workflows_and_a_program_with_json(
    browser: Any,
) -> None:
    app, client = browser
    done, overdue = happy_path(), timed_out_path()
    await Tracker(app).record(*done, *overdue)
    edge = f"/flow/edges/{quote(TO_RESERVED, safe='')}"

    page = await (await client.get(edge, headers=HTML)).text()
    as_json = await (await client.get(edge)).json()
    node = await (await client.get("/flow/nodes/orders/OrderCancelled", headers=HTML)).text()

    slowest = page[page.index('id="slowest"') : page.index('id="failed-count"')]
    assert slowest.count("data-correlation-id=") == 2
    failed = page[page.index('id="failed"') :]
    assert f'href="/workflows/{overdue[0].correlation_id}"' in failed
    assert done[0].correlation_id not in failed
    assert "shipping: schedule the shipment" in failed  # the deadline it missed
    assert as_json["took"]["count"] == 2 and as_json["failed"]["count"] == 1
    assert 'id="failed-count">1<' in node and overdue[0].correlation_id in node


async def test_the_workflow_page_shows_each_event_under_its_cause_with_its_hop(
    browser: Any,
) -> None:
    app, client = browser
    events = timed_out_path()
    await Tracker(app).record(*events)

    html = await (await client.get(f"/workflows/{events[0].correlation_id}", headers=HTML)).text()

    tree = html[html.index('id="causal-tree"') : html.index("</ol>", html.index("causal-tree"))]
    depths = dict(re.findall(r'data-event-id="([0-9a-f-]+)" data-depth="(\d+)"', tree))
    assert len(depths) == len(events)
    by_type = {type(e).__name__: depths[str(e.event_id)] for e in events}
    assert by_type["OrderPlaced"] == "0" and by_type["PaymentAuthorized"] == "1"
    assert by_type["StepOverdue"] == "3"  # after StockReserved, which it timed out
    assert by_type["OrderCancelling"] == "4"
    assert by_type["PaymentRefunded"] == by_type["StockReleased"] == "5"  # siblings
    assert "+38.0 s" in tree  # StockReserved at 2 s to StepOverdue at 40 s


async def test_the_stream_sends_the_section_then_again_when_a_workflow_changes_it(
    browser: Any,
) -> None:
    app, client = browser
    first, second = happy_path(), happy_path()
    await Tracker(app).record(*first)

    async with client.get("/flow/stream?every=0.1") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        before = await next_flow(stream)
        await Tracker(app).record(*second)
        after = await next_flow(stream)
        while drawn_count(after, "node", "orders/OrderCompleted") < 2:  # sent mid-workflow
            after = await next_flow(stream)
    wrong = await client.get("/flow/stream?every=0")

    assert drawn_count(before, "node", "orders/OrderCompleted") == 1
    assert drawn_count(after, "node", "orders/OrderCompleted") == 2
    assert wrong.status == 400 and "every" in (await wrong.json())["error"]


async def test_a_page_that_shows_the_section_is_sent_only_what_differs_from_it(
    browser: Any,
) -> None:
    app, client = browser
    shown_first, then = happy_path(), happy_path()
    await Tracker(app).record(*shown_first)
    shown = await (await client.get("/", headers=HTML)).text()
    digest = re.findall('<section id="flow" data-digest="(\\w+)"', shown)[0]

    async with client.get(f"/flow/stream?every=0.1&seen={digest}") as stream:
        told = await stream.content.readline()
        await Tracker(app).record(*then)
        sent = await next_flow(stream)
        while drawn_count(sent, "node", "orders/OrderCompleted") < 2:
            sent = await next_flow(stream)

    assert told == b": unchanged\n"  # what the page shows is current: no section sent
    assert f'data-digest="{digest}"' not in sent


async def next_flow(stream: Any) -> str:
    """The HTML of the next `flow` event."""
    event = ""
    async for line in stream.content:
        if line.startswith(b"event: "):
            event = line[7:].decode().strip()
        elif line.startswith(b"data: ") and event == "flow":
            html: str = orjson.loads(line[6:])["html"]
            return html
    raise AssertionError("the stream ended")


async def test_stuck_reads_only_the_workflows_old_enough_to_be_stuck(browser: Any) -> None:
    app, client = browser
    tracker = app.runtime.processor("tracker")
    waiting = happy_path()[:2]  # paid long ago (the builders' clock): past half of 120 s
    young = order_placed(occurred_at=datetime.now(UTC))  # placed now: too young to be stuck
    await Tracker(app).record(*waiting, young)
    # Its stored state is made unreadable: asking it for stuck workflows must not read it.
    number = partition_for(young.correlation_id, tracker.settings.partitions)
    store = tracker.store.opened(number)
    store.write({f"workflows/{young.correlation_id}".encode(): b"unreadable"}, 10**6)

    answer = await client.get("/flow/stuck")

    assert answer.status == 200, await answer.text()
    stuck = await answer.json()
    assert stuck["workflows"] == 1
    assert [w["correlation_id"] for w in stuck["nodes"][PAID]["longest"]] == [
        waiting[0].correlation_id
    ]


async def test_a_map_made_behind_a_long_wait_for_the_tracker_is_not_served_for_long(
    browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the cap, counting the 1.5 s wait would keep the map for 15 s; what making it
    # cost in the tracker's loop keeps it for milliseconds, or a second on a loaded machine.
    monkeypatch.setattr(flow, "MOST_STALE", 60.0)
    app, client = browser
    tracker = app.runtime.processor("tracker")
    await Tracker(app).record(*happy_path())
    async with tracker.lock:  # the tracker's loop busy, as behind a broker outage
        asked = asyncio.create_task(client.get("/flow"))
        await asyncio.sleep(1.5)
    assert (await (await asked).json())["workflows"] == 1
    await Tracker(app).record(*happy_path())

    began = asyncio.get_running_loop().time()
    while (await (await client.get("/flow")).json())["workflows"] != 2:
        assert asyncio.get_running_loop().time() - began < 10.0, "an old map served on"
        await asyncio.sleep(0.05)
