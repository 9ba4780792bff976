"""SIGTERM under load, on the real broker: the worker finishes what it took, commits and exits
cleanly within a bounded time; after its restart nothing is lost and nothing is done twice (a
unit done again would publish its events again: every event id is on its topic once)."""

import asyncio
from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer

from eventcollab.codec import decode_event, encode
from eventcollab.web.orders import OrderItem, PlaceOrder, order_placed
from tests.e2e.harness import BOOTSTRAP, Deployment, outcome, read_topic

RATE = 40  # orders per second, written straight onto `orders` as the intake writes them
WORKFLOW_TOPICS = ("orders", "cancellations", "payments", "inventory", "shipments", "deadlines")


async def keep_placing(deployment: Deployment, sku: str, placed: list[str]) -> None:
    request = PlaceOrder(customer_id="gus", items=(OrderItem(sku=sku, quantity=1, unit_price=1),))
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        while True:
            event = order_placed(request, datetime.now(UTC))
            key = event.correlation_id.encode()
            await producer.send_and_wait(deployment.topic("orders"), encode(event), key=key)
            placed.append(event.correlation_id)
            await asyncio.sleep(1 / RATE)
    finally:
        await producer.stop()


async def test_a_worker_stopped_under_load_finishes_commits_and_redoes_nothing_after(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    worker = deployment.worker("all").start().wait_ready()
    sku = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "10000")
    placed: list[str] = []
    placing = asyncio.create_task(keep_placing(deployment, sku, placed))
    try:
        for _ in range(3):  # three stops, each in the middle of the load
            await asyncio.sleep(3)
            await asyncio.to_thread(worker.stop)
            assert worker.exits[-1].clean, worker.tail()
            assert worker.exits[-1].seconds < 15, worker.exits[-1]
            worker.start()
            await asyncio.to_thread(worker.wait_ready)
        await asyncio.sleep(2)
    finally:
        placing.cancel()
    for cid in placed:
        assert (await outcome(http, deployment.tracker_url, cid))["status"] == "completed"

    for name in WORKFLOW_TOPICS:
        ids = Counter(
            decode_event(r.value).event_id for r in await read_topic(deployment.topic(name))
        )
        twice = [event_id for event_id, count in ids.items() if count > 1]
        assert twice == [], f"{name}: {len(twice)} events published more than once"
    assert len(placed) > 3 * 3 * RATE * 0.5  # placed all along, through the stops
