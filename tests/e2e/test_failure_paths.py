"""Failure paths on the real broker: missed deadlines, a customer's cancellation, a deadline
that passes while the tracker is down; every effect undone once, nothing revived afterwards."""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import pytest

from eventcollab.crash.drain import LagProbe, until_drained
from eventcollab.models import Event, ShipmentCancelled, ShipmentScheduled
from eventcollab.settings import Settings
from tests.e2e.conftest import started
from tests.e2e.harness import (
    Deployment,
    Worker,
    events_on,
    eventually,
    outcome,
    place_order,
    stock,
    workflow,
)

WITHOUT_SHIPPING = ("orders", "payments", "inventory", "tracker")


def fresh_sku(name: str) -> str:
    return f"{name}-{uuid4().hex[:8]}"


def order(*lines: tuple[str, int]) -> dict[str, Any]:
    items = [{"sku": sku, "quantity": quantity, "unit_price": "2.50"} for sku, quantity in lines]
    return {"customer_id": "cora", "items": items}


def types(state: dict[str, Any]) -> list[str]:
    return [entry["event_type"] for entry in state["timeline"]]


def worker_of(deployment: Deployment, service: str) -> Worker:
    return next(w for w in deployment.workers if w.name == service)


def distinct(events: list[Event], kind: str, correlation_id: str) -> int:
    """How many different events of `kind` the workflow has (copies of one event count once)."""
    return len(
        {e.event_id for e in events if e.event_type == kind and e.correlation_id == correlation_id}
    )


async def waiting_for(
    http: aiohttp.ClientSession, deployment: Deployment, correlation_id: str, service: str
) -> dict[str, Any]:
    async def there() -> dict[str, Any] | None:
        state = await workflow(http, deployment.tracker_url, correlation_id)
        waiting = (state or {}).get("waiting_for") or {}
        return state if waiting.get("service") == service else None

    result: dict[str, Any] = await eventually(there)
    return result


async def drained(deployment: Deployment) -> None:
    settings = Settings(
        broker=deployment.broker, app_id=deployment.run_id, topic_prefix=f"{deployment.run_id}-"
    )
    probe = LagProbe(settings)
    try:
        assert await until_drained(probe, timeout=90) is not None, "processors did not catch up"
    finally:
        await probe.close()


@pytest.fixture
def short_deadlines(tmp_path: Path) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path)
    deployment.settings["EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS"] = "3"
    deployment.settings["EVENTCOLLAB_DEADLINE_CHECK_SECONDS"] = "0.3"
    yield deployment
    deployment.stop()
    assert deployment.crashes() == []


async def test_a_stopped_shipping_service_times_orders_out_and_everything_is_undone_once(
    short_deadlines: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment = started(short_deadlines, *WITHOUT_SHIPPING)
    pen, ink = fresh_sku("PEN"), fresh_sku("INK")
    deployment.run_command("restock", pen, "10")
    deployment.run_command("restock", ink, "10")
    inventory_url = worker_of(deployment, "inventory").url

    placed = [
        await place_order(http, deployment.orders_url, order((pen, 2), (ink, 1))) for _ in range(4)
    ]
    states = [await outcome(http, deployment.tracker_url, cid, timeout=90) for cid in placed]

    for state in states:
        assert state["status"] == "cancelled"
        assert state["timed_out"] == "shipping: schedule the shipment"
        assert "deadline passed" in state["reason"]
        assert {"StepOverdue", "OrderCancelling", "PaymentRefunded", "StockReleased"} <= set(
            types(state)
        )
    assert await stock(http, inventory_url, pen) == 10
    assert await stock(http, inventory_url, ink) == 10

    deployment.worker("shipping").start().wait_ready()  # back: it finds the orders cancelled
    await drained(deployment)

    after = [await workflow(http, deployment.tracker_url, cid) for cid in placed]
    assert [state["status"] for state in after] == ["cancelled"] * 4
    assert await stock(http, inventory_url, pen) == 10
    assert await stock(http, inventory_url, ink) == 10
    payments = await events_on(deployment.topic("payments"))
    shipments = await events_on(deployment.topic("shipments"))
    for cid in placed:
        assert distinct(payments, "PaymentRefunded", cid) == 1
        mine = [e for e in shipments if e.correlation_id == cid]
        scheduled = {e.shipment_id for e in mine if isinstance(e, ShipmentScheduled)}
        cancelled = {e.shipment_id for e in mine if isinstance(e, ShipmentCancelled)}
        assert scheduled == cancelled  # a shipment scheduled late is cancelled at once
    for state in after:
        late = [e["event_type"] for e in state["timeline"] if e["late"]]
        assert set(late) <= {"ShipmentScheduled"}
    assert "anomalies    0" in deployment.run_command("audit")


async def test_a_customer_cancels_an_order_in_progress_and_what_was_done_is_undone(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *WITHOUT_SHIPPING)  # the order waits for shipping: still in progress
    pen = fresh_sku("PEN")
    deployment.run_command("restock", pen, "5")
    cid = await place_order(http, deployment.orders_url, order((pen, 3)))
    await waiting_for(http, deployment, cid, "shipping")
    assert await stock(http, worker_of(deployment, "inventory").url, pen) == 2

    cancel_url = f"{deployment.orders_url}/workflows/{cid}/cancel"
    async with http.post(cancel_url, json={"reason": "changed my mind"}) as answer:
        assert answer.status == 202, await answer.text()
        assert (await answer.json())["status"] in ("compensating", "cancelled")
    state = await outcome(http, deployment.tracker_url, cid)

    assert state["status"] == "cancelled"
    assert (state["reason"], state["timed_out"]) == ("changed my mind", None)
    assert types(state)[-1] == "OrderCancelled"
    assert await stock(http, worker_of(deployment, "inventory").url, pen) == 5
    assert distinct(await events_on(deployment.topic("payments")), "PaymentRefunded", cid) == 1
    async with http.post(cancel_url) as again:
        assert again.status == 409
        assert (await again.json())["status"] == "cancelled"
    async with http.post(f"{deployment.orders_url}/workflows/{uuid4()}/cancel") as unknown:
        assert unknown.status == 404
    async with http.post(cancel_url, data=b'{"reason": 7}') as wrong:
        assert wrong.status == 422  # a reason is text, not coerced

    second = await place_order(http, deployment.orders_url, order((pen, 1)))
    await waiting_for(http, deployment, second, "shipping")
    said = deployment.run_command("cancel", second, "--reason", "from the terminal")
    assert f"/workflows/{second}" in said
    assert (await outcome(http, deployment.tracker_url, second))["reason"] == "from the terminal"


async def test_an_order_that_has_ended_cannot_be_cancelled(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    pen = fresh_sku("PEN")
    shared.run_command("restock", pen, "5")
    cid = await place_order(http, shared.orders_url, order((pen, 1)))
    assert (await outcome(http, shared.tracker_url, cid))["status"] == "completed"

    async with http.post(f"{shared.orders_url}/workflows/{cid}/cancel") as answer:
        assert answer.status == 409
        assert (await answer.json())["status"] == "completed"
    await asyncio.sleep(1)
    assert Counter(types(await workflow(http, shared.tracker_url, cid)))["OrderCancelling"] == 0


async def test_a_deadline_that_passed_while_the_tracker_was_down_fires_once_after_its_restart(
    short_deadlines: Deployment, http: aiohttp.ClientSession
) -> None:
    short_deadlines.settings["EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS"] = "6"
    short_deadlines.settings["EVENTCOLLAB_SESSION_TIMEOUT"] = "6"
    deployment = started(short_deadlines, *WITHOUT_SHIPPING)
    pen = fresh_sku("PEN")
    deployment.run_command("restock", pen, "5")
    cid = await place_order(http, deployment.orders_url, order((pen, 1)))
    waiting = await waiting_for(http, deployment, cid, "shipping")

    tracker = worker_of(deployment, "tracker")
    tracker.kill()  # before the deadline: nobody is left to notice it
    down_at = time.monotonic()
    assert waiting["status"] == "in_progress"
    await asyncio.sleep(8)
    tracker.start()
    await tracker.ready()
    state = await outcome(http, deployment.tracker_url, cid, timeout=60)

    assert time.monotonic() - down_at >= 8
    assert (state["status"], state["timed_out"]) == ("cancelled", "shipping: schedule the shipment")
    assert distinct(await events_on(deployment.topic("deadlines")), "StepOverdue", cid) == 1
    assert distinct(await events_on(deployment.topic("cancellations")), "OrderCancelling", cid) == 1
    assert distinct(await events_on(deployment.topic("payments")), "PaymentRefunded", cid) == 1
