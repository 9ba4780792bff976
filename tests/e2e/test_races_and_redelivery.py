"""Concurrency and at-least-once delivery on a real broker: no oversell, no double effect."""

import asyncio
from collections import Counter
from uuid import uuid4

import aiohttp

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.web.orders import PlaceOrder, order_placed
from tests.e2e.harness import (
    Deployment,
    events_on,
    outcome,
    place_order,
    produce,
    read_topic,
    stock,
)


async def test_ten_units_and_fifteen_racing_orders_give_ten_completed_and_five_cancelled(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    sku = f"LAST-{uuid4().hex[:8]}"
    shared.run_command("restock", sku, "10")
    body = {"customer_id": "racer", "items": [{"sku": sku, "quantity": 1, "unit_price": "5"}]}

    placed = await asyncio.gather(*(place_order(http, shared.orders_url, body) for _ in range(15)))
    states = await asyncio.gather(*(outcome(http, shared.tracker_url, c) for c in placed))

    by_status = Counter(state["status"] for state in states)
    assert by_status == {"completed": 10, "cancelled": 5}
    assert await stock(http, shared.tracker_url, sku) == 0
    refunds = Counter(
        e.correlation_id
        for e in await events_on(shared.topic("payments"))
        if e.event_type == "PaymentRefunded" and e.correlation_id in placed
    )
    cancelled = {s["correlation_id"] for s in states if s["status"] == "cancelled"}
    assert refunds == dict.fromkeys(cancelled, 1)
    partitions = {
        r.partition for r in await read_topic(shared.topic("orders")) if r.key.decode() in placed
    }
    assert len(partitions) > 1  # the race crossed partitions of the orders topic


async def test_an_order_placed_delivered_twice_yields_one_workflow_and_one_payment(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    sku = f"DUP-{uuid4().hex[:8]}"
    shared.run_command("restock", sku, "3")
    request = PlaceOrder.model_validate(
        {"customer_id": "twice", "items": [{"sku": sku, "quantity": 1, "unit_price": "7"}]}
    )
    event = order_placed(request, now())

    for _ in range(2):
        await produce(shared.topic("orders"), event.correlation_id, encode(event))
    state = await outcome(http, shared.tracker_url, event.correlation_id)

    assert state["status"] == "completed"
    assert [e["event_type"] for e in state["timeline"]].count("OrderPlaced") == 1
    payments = await events_on(shared.topic("payments"), event.correlation_id)
    assert [e.event_type for e in payments] == ["PaymentAuthorized"]
    assert await stock(http, shared.tracker_url, sku) == 2
    orders = await events_on(shared.topic("orders"), event.correlation_id)
    assert [e.event_type for e in orders] == ["OrderPlaced", "OrderPlaced", "OrderCompleted"]
