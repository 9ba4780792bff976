"""The live flow map on the real broker: two tracker workers serve the same map, it equals the
map of the whole log, and it survives a tracker restart with its data folder deleted."""

import json
import shutil
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, eventually, outcome, place_order
from tests.e2e.test_flow_map import one_line

COMPLETED, REJECTED, CANCELLED = 5, 3, 2


async def live_map(http: aiohttp.ClientSession, url: str) -> Any:
    """The merged map, or None while partitions move between the workers (503)."""
    async with http.get(f"{url}/flow") as response:
        assert response.status in (200, 503), await response.text()
        return await response.json() if response.status == 200 else None


async def text(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.text()


async def test_two_tracker_workers_serve_the_map_of_the_log_and_it_survives_losing_their_data(
    deployment: Deployment, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    started(deployment, "orders", "payments", "inventory", "shipping")
    first = deployment.worker("tracker").start()
    second = deployment.worker("tracker", label="tracker-2").start()
    first.wait_ready()
    second.wait_ready()
    pen, gone = f"PEN-{uuid4().hex[:8]}", f"GONE-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, str(COMPLETED))
    # Asked before any order: the view of each partition is built now, then moved on by notes.
    empty = await eventually(lambda: live_map(http, first.url))
    assert empty["workflows"] == 0 and empty["variants"] == []
    plan = (
        [one_line(pen, "1.50")] * COMPLETED
        + [one_line(pen, "6000.00")] * REJECTED
        + [one_line(gone, "2.00")] * CANCELLED
    )
    placed = [await place_order(http, deployment.orders_url, body) for body in plan]
    for cid in placed:
        await outcome(http, deployment.tracker_url, cid)

    from_first = await eventually(lambda: live_map(http, first.url))
    from_second = await eventually(lambda: live_map(http, second.url))
    assert from_first == from_second
    nodes = {node: n["events"] for node, n in from_first["nodes"].items()}
    assert from_first["workflows"] == len(placed)
    assert nodes["orders/OrderCompleted"] == COMPLETED
    assert nodes["orders/OrderRejected"] == REJECTED
    assert nodes["orders/OrderCancelled"] == CANCELLED
    assert nodes["payments/PaymentAuthorized"] == COMPLETED + CANCELLED
    assert sorted(v["workflows"] for v in from_first["variants"]) == sorted(
        [COMPLETED, REJECTED, CANCELLED]
    )
    samples = {s for v in from_first["variants"] for s in v["samples"]}
    assert samples <= set(placed) and len(samples) == len(placed)

    # The same map as `eventcollab flow` folds from the whole log, deviations included.
    offline_path, csv_path, follows_path = (tmp_path / n for n in ("o.json", "o.csv", "f.json"))
    deployment.run_command(
        "flow", "--json", str(offline_path), "--csv", str(csv_path), "--follows", str(follows_path)
    )
    offline = json.loads(offline_path.read_text())
    for part in ("workflows", "nodes", "edges", "counters", "variants", "deviations"):
        assert from_first[part] == offline[part], part
    assert len(offline["deviations"]) == 4
    assert all(found["workflows"] == 0 for found in offline["deviations"].values())

    # The exports, merged by either worker, equal the ones made from the log.
    for url in (first.url, second.url):
        assert await text(http, f"{url}/flow/events.csv") == csv_path.read_text()
        assert json.loads(await text(http, f"{url}/flow/follows")) == json.loads(
            follows_path.read_text()
        )
    metrics = await text(http, f"{second.url}/flow/metrics")
    completed = f'eventcollab_flow_node_events_total{{node="orders/OrderCompleted"}} {COMPLETED}.0'
    assert completed in metrics
    assert f"eventcollab_flow_workflows {float(len(placed))}" in metrics

    # Both trackers gone with their data: one new worker restores the table and maps it again.
    first.stop()
    second.stop()
    for label in ("tracker", "tracker-2"):
        shutil.rmtree(deployment.datadir(label))
    deployment.worker("tracker", label="tracker-3", port=first.port).start().wait_ready()
    restored = await eventually(lambda: live_map(http, first.url))
    assert restored == from_first
