"""The flow map on the dashboard, on the real broker: live over its event stream, and in headless
Chromium after a mixed run (completed, rejected, cancelled by the customer, timed out), its
drawn counts checked against the run's own records, with and without JavaScript.

The screenshot goes to test-artifacts/screenshots/flow-map.png; the README's docs/flow-map.png is
a copy of one, taken by hand so that a test run leaves the repository as it was.
"""

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import orjson
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, eventually, outcome, place_order, workflow
from tests.e2e.test_browser import SCREENSHOTS, chromium
from tests.e2e.test_failure_paths import drained, waiting_for
from tests.e2e.test_flow_map import one_line

COMPLETED, REJECTED, CANCELLED, TIMED_OUT = 3, 2, 2, 2
SCHEDULE_SECONDS = 8.0  # shipping's deadline: long enough to cancel a held order before it
OVERDUE = "inventory/StockReserved -> tracker/StepOverdue"
CHECKED = (
    "orders/OrderCompleted",
    "orders/OrderRejected",
    "orders/OrderCancelled",
    "tracker/StepOverdue",
    "payments/PaymentAuthorized",
)


async def flow_events(stream: aiohttp.ClientResponse) -> Any:
    """The HTML of each `flow` event, as it comes."""
    event = ""
    async for line in stream.content:
        if line.startswith(b"event: "):
            event = line[7:].decode().strip()
        elif line.startswith(b"data: ") and event == "flow":
            yield orjson.loads(line[6:])["html"]


def completed_count(html: str) -> int:
    marker = 'data-node="orders/OrderCompleted" data-count="'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index('"', start)])


async def test_the_stream_sends_the_flow_section_with_the_new_count_after_an_order_completes(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    pen = f"PEN-{uuid4().hex[:8]}"
    shared.run_command("restock", pen, "1")
    url = f"{shared.tracker_url}/flow/stream?every=0.2"
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=60)) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        sections = flow_events(stream)
        before = completed_count(await anext(sections))

        placed = await place_order(http, shared.orders_url, one_line(pen, "1.00"))
        assert (await outcome(http, shared.tracker_url, placed))["status"] == "completed"

        async def counted_once_more() -> int:
            async for html in sections:
                if (count := completed_count(html)) > before:
                    return count
            raise AssertionError("the stream ended")

        assert await asyncio.wait_for(counted_once_more(), timeout=20) == before + 1


@pytest.fixture
def mixed(tmp_path: Path) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path)
    deployment.settings |= {
        "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": str(SCHEDULE_SECONDS),
        "EVENTCOLLAB_DEADLINE_CHECK_SECONDS": "0.3",
    }
    yield deployment
    deployment.stop()
    assert deployment.crashes() == []


async def mixed_run(deployment: Deployment, http: aiohttp.ClientSession) -> dict[str, Any]:
    """Every workflow of the run as the tracker concluded it, by correlation id."""
    started(deployment, "orders", "payments", "inventory", "tracker")
    shipping = deployment.worker("shipping").start().wait_ready()
    orders, tracker = deployment.orders_url, deployment.tracker_url
    pen = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, "100")
    placed = [await place_order(http, orders, one_line(pen, "1.50")) for _ in range(COMPLETED)]
    placed += [await place_order(http, orders, one_line(pen, "6000.00")) for _ in range(REJECTED)]
    for cid in placed:
        await outcome(http, tracker, cid)
    assert shipping.process is not None
    os.killpg(shipping.process.pid, signal.SIGSTOP)  # held orders wait for shipping
    try:
        for _ in range(CANCELLED):
            cid = await place_order(http, orders, one_line(pen, "1.50"))
            await waiting_for(http, deployment, cid, "shipping")
            async with http.post(f"{orders}/workflows/{cid}/cancel", json={}) as answer:
                assert answer.status == 202, await answer.text()
            placed.append(cid)
        placed += [await place_order(http, orders, one_line(pen, "1.50")) for _ in range(TIMED_OUT)]
        states = {cid: await outcome(http, tracker, cid) for cid in placed}
    finally:
        os.killpg(shipping.process.pid, signal.SIGCONT)
    await drained(deployment)  # late shipments included: the map stops changing
    return states


def expected_counts(states: dict[str, Any]) -> dict[str, int]:
    """What the map must count, from the run's own records: each node's events."""
    counted: Counter[str] = Counter()
    for state in states.values():
        for entry in state["timeline"]:
            counted[f"{entry['producer']}/{entry['event_type']}"] += 1
    return {node: counted[node] for node in CHECKED}


def drawn(browser: WebDriver, kind: str) -> dict[str, int]:
    found = browser.find_elements(By.CSS_SELECTOR, f"svg.flow-map g.{kind}")
    return {
        str(g.get_attribute(f"data-{kind}")): int(g.get_attribute("data-count") or -1)
        for g in found
    }


async def test_the_dashboard_draws_the_map_of_a_mixed_run_and_drills_down_to_a_causal_tree(
    mixed: Deployment, http: aiohttp.ClientSession
) -> None:
    states = await mixed_run(mixed, http)
    statuses = Counter(state["status"] for state in states.values())
    assert statuses == {"completed": COMPLETED, "rejected": REJECTED, "cancelled": 4}
    timed_out = sorted(cid for cid, s in states.items() if s["timed_out"])
    assert len(timed_out) == TIMED_OUT
    expected = expected_counts(states)
    assert expected["orders/OrderCancelled"] == CANCELLED + TIMED_OUT
    assert expected["tracker/StepOverdue"] == TIMED_OUT
    url = mixed.tracker_url

    async def settled() -> Any:  # the map has counted every outcome the records show
        async with http.get(f"{url}/flow") as answer:
            if answer.status != 200:
                return None
            nodes = (await answer.json())["nodes"]
        counts = {node: nodes.get(node, {}).get("events", 0) for node in CHECKED}
        return counts if counts == expected else None

    await eventually(settled, timeout=30)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    live, static = chromium(javascript=True), chromium(javascript=False)
    try:
        live.set_window_size(1100, 1600)
        live.get(f"{url}/")
        WebDriverWait(live, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "svg.flow-map"))
        nodes = drawn(live, "node")
        assert {node: nodes[node] for node in CHECKED} == expected
        assert drawn(live, "edge")[OVERDUE] == TIMED_OUT
        frame = live.find_element(By.CSS_SELECTOR, "#flow .flow-map-frame")
        frame.screenshot(str(SCREENSHOTS / "flow-map.png"))
        live.find_element(By.ID, "flow").screenshot(str(SCREENSHOTS / "flow-section.png"))

        static.get(f"{url}/")  # without JavaScript: the same map, drawn on the server
        assert drawn(static, "node") == nodes
        assert drawn(static, "edge") == drawn(live, "edge")

        edge = live.find_element(By.CSS_SELECTOR, f'g.edge[data-edge="{OVERDUE}"] path')
        live.execute_script(
            "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", edge
        )
        WebDriverWait(live, 10).until(lambda b: b.find_elements(By.ID, "drilled"))
        assert live.find_element(By.ID, "drilled").text == OVERDUE
        for table in ("slowest", "failed"):
            rows = live.find_elements(By.CSS_SELECTOR, f"#{table} tr[data-correlation-id]")
            assert sorted(str(r.get_attribute("data-correlation-id")) for r in rows) == timed_out
        live.save_screenshot(str(SCREENSHOTS / "flow-edge.png"))

        live.find_element(By.CSS_SELECTOR, "#failed a.id").click()
        WebDriverWait(live, 10).until(lambda b: b.find_elements(By.ID, "causal-tree"))
        shown = live.current_url.rstrip("/").rsplit("/", 1)[-1]
        assert shown in timed_out
        caused = live.find_elements(By.CSS_SELECTOR, "#causal-tree li.caused")
        now = await workflow(http, url, shown)  # a late shipment may have come since its end
        assert len(caused) == len(now["timeline"])
        depth = {li.text.split()[0]: li.get_attribute("data-depth") for li in caused}
        assert depth["orders/OrderPlaced"] == "0"
        assert depth["inventory/StockReserved"] == "2"
        assert depth["tracker/StepOverdue"] == "3"  # under the step it timed out
        live.save_screenshot(str(SCREENSHOTS / "flow-causal-tree.png"))
    finally:
        live.quit()
        static.quit()
