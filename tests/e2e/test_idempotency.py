"""Idempotency-Key on the real broker: one workflow per key, across repeats, restarts, workers."""

import asyncio
import time
from typing import Any
from uuid import uuid4

import aiohttp

from eventcollab.web.idempotency import keyed_ids
from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, events_on, outcome, stock

DECISIONS = ("PaymentAuthorized", "PaymentDeclined")


def order(sku: str, quantity: int = 1, customer: str = "kay") -> dict[str, Any]:
    return {"customer_id": customer, "items": [{"sku": sku, "quantity": quantity, "unit_price": 3}]}


async def post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], key: str, timeout: float = 60.0
) -> tuple[int, Any]:
    """The answer to a keyed POST, asked again after a 503 (a worker that just started may be
    restoring its tracker) or a lost connection (one kept from before a restart): with the
    key, asking again is safe, which is what the key is for."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            headers = {"Idempotency-Key": key}
            async with http.post(f"{url}/orders", json=body, headers=headers) as got:
                answer = got.status, await got.json()
        except aiohttp.ClientConnectionError:
            answer = 503, None
        if answer[0] != 503 or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(1)


async def workflow_events(deployment: Deployment, correlation_id: str) -> dict[str, list[Any]]:
    """The ids of every OrderPlaced and payment decision on the log for one workflow."""
    orders = await events_on(deployment.topic("orders"), correlation_id)
    payments = await events_on(deployment.topic("payments"), correlation_id)
    return {
        "placed": [e.event_id for e in orders if e.event_type == "OrderPlaced"],
        "decisions": [e.event_id for e in payments if e.event_type in DECISIONS],
    }


async def test_a_key_repeated_after_a_restart_answers_one_workflow_and_another_order_is_409(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    sku, key = f"KEY-{uuid4().hex[:8]}", f"e2e-{uuid4()}"
    deployment.run_command("restock", sku, "5")
    url = deployment.orders_url

    first = await post(http, url, order(sku), key)
    again = await post(http, url, order(sku), key)
    worker = deployment.workers[0]
    worker.stop()
    worker.start().wait_ready()
    restarted = await post(http, url, order(sku), key)
    refused = await post(http, url, order(sku, quantity=2), key)

    correlation_id, event_id = keyed_ids(key)
    assert first == again == restarted == (202, first[1])
    assert first[1]["correlation_id"] == correlation_id
    assert refused[0] == 409 and refused[1]["correlation_id"] == correlation_id
    state = await outcome(http, deployment.tracker_url, correlation_id)
    assert state["status"] == "completed"
    assert state["order"]["lines"][0]["quantity"] == 1
    logged = await workflow_events(deployment, correlation_id)
    assert logged["placed"] == [event_id]  # a repeat the tracker knows publishes nothing
    assert len(logged["decisions"]) == 1
    assert await stock(http, deployment.tracker_url, sku) == 4


async def test_one_key_on_two_workers_at_once_starts_one_workflow(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    other = deployment.worker("orders", label="orders-2").start().wait_ready()
    sku, same, racing = f"KEY-{uuid4().hex[:8]}", f"e2e-{uuid4()}", f"e2e-{uuid4()}"
    deployment.run_command("restock", sku, "10")
    urls = (deployment.orders_url, other.url)

    repeats = await asyncio.gather(*(post(http, url, order(sku), same) for url in urls))
    bodies = (order(sku, customer="kay"), order(sku, customer="lee"))
    race = await asyncio.gather(
        *(post(http, u, b, racing) for u, b in zip(urls, bodies, strict=True))
    )

    assert [status for status, _ in repeats] == [202, 202]
    assert repeats[0][1]["correlation_id"] == repeats[1][1]["correlation_id"] == keyed_ids(same)[0]
    assert sorted(status for status, _ in race) == [202, 409]
    winner = bodies[[status for status, _ in race].index(202)]
    for key in (same, racing):
        correlation_id, event_id = keyed_ids(key)
        state = await outcome(http, deployment.tracker_url, correlation_id)
        assert state["status"] == "completed"
        logged = await workflow_events(deployment, correlation_id)
        assert set(logged["placed"]) == {event_id}
        assert len(logged["decisions"]) == 1
    raced = await outcome(http, deployment.tracker_url, keyed_ids(racing)[0])
    assert raced["order"]["customer_id"] == winner["customer_id"]
    assert await stock(http, deployment.tracker_url, sku) == 8
