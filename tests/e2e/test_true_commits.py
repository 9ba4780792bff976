"""Offsets move only past what every service finished, whatever Faust does with its buffers.

Faust's recovery resumes its flow of events, and each resume empties every agent's buffer
(mode's FlowControlEvent.resume clears the queues); the events dropped there were then lost to the
slower agents, and the consumer committed past them. This test forces exactly that moment: the
orders are on the topic and payments has started on them when the worker's flow control is
resumed. Every workflow must conclude, and again after a restart (same group and data folder),
with one payment decision each.
"""

import asyncio
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from eventcollab.app import create_app
from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.models import OrderPlaced
from eventcollab.settings import Settings
from eventcollab.web.orders import PlaceOrder, order_placed
from tests.e2e.harness import (
    BOOTSTRAP,
    BROKER,
    events_on,
    eventually,
    free_port,
    partitions_of,
)

ORDERS = 400


def settings_for(run: str, data_dir: Path) -> Settings:
    return Settings(
        broker=BROKER,
        app_id=run,
        topic_prefix=f"{run}-",
        data_dir=data_dir,
        web_port=free_port(),
        payment_limit=Decimal("1.00"),  # every order is declined: payments, then orders, decide
        session_timeout=6,
    )


async def started(settings: Settings, http: aiohttp.ClientSession) -> Any:
    app = create_app(settings)
    await app.start()

    async def serving() -> bool | None:
        try:
            async with http.get(f"{settings.local_url}/workflows/none") as response:
                return True if response.status == 404 else None
        except aiohttp.ClientError:
            return None

    await eventually(serving, timeout=60)
    return app


async def produce_all(topic: str, events: list[OrderPlaced]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        sent = [
            await producer.send(topic, encode(e), key=e.correlation_id.encode()) for e in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def first_payment(topic: str) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in await partitions_of(topic)])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + 60
        while not any((await consumer.getmany(timeout_ms=20)).values()):
            assert time.monotonic() < deadline, "payments never answered"
    finally:
        await consumer.stop()


async def concluded(http: aiohttp.ClientSession, url: str, ids: list[str]) -> list[str]:
    async def status(cid: str) -> str:
        async with http.get(f"{url}/workflows/{cid}") as response:
            return (await response.json())["status"] if response.status == 200 else "unknown"

    return [cid for cid in ids if await status(cid) == "rejected"]


async def test_events_dropped_from_faust_buffers_are_still_decided_and_never_twice(
    tmp_path: Path,
) -> None:
    run = f"commits-{uuid4().hex[:8]}"
    settings = settings_for(run, tmp_path)
    request = PlaceOrder.model_validate(
        {"customer_id": "big", "items": [{"sku": "GOLD", "quantity": 1, "unit_price": "99"}]}
    )
    placed = [order_placed(request, now()) for _ in range(ORDERS)]
    ids = [event.correlation_id for event in placed]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def all_concluded() -> bool | None:
            done = await concluded(http, settings.local_url, ids)
            return True if len(done) == ORDERS else None

        app = await started(settings, http)
        try:
            await produce_all(settings.topic_name("orders"), placed)
            await first_payment(settings.topic_name("payments"))
            app.flow_control.resume()  # the moment Faust's recovery empties the agents' buffers
            await eventually(all_concluded, timeout=60)
        finally:
            await app.stop()

        app = await started(settings, http)  # same group and data folder: nothing is redone
        try:
            await eventually(all_concluded, timeout=60)
        finally:
            await app.stop()
    decisions = await events_on(settings.topic_name("payments"))
    assert sorted(e.correlation_id for e in {e.event_id: e for e in decisions}.values()) == sorted(
        ids
    )
