"""POST /orders with an Idempotency-Key, against the worker's own tracker over HTTP.

The intake asks the tracker through the worker's web server, as in a deployment; the test plays
the broker by handing each published OrderPlaced to the tracker when it chooses.
"""

import asyncio
from collections.abc import AsyncIterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from eventcollab.codec import decode_event
from eventcollab.crash.processes import free_port
from eventcollab.runtime.kafka import partition_for
from eventcollab.web import orders
from eventcollab.web.idempotency import keyed_ids
from tests.integration.fakes import FakeProducer, Sent, record
from tests.integration.processors import until
from tests.integration.test_web import GOOD_ORDER, build_app

OTHER_ORDER = {"customer_id": "ann", "items": [{"sku": "INK", "quantity": 1, "unit_price": 4}]}


class Worker:
    """The worker's routes on a port of their own, with its tracker fed by the test."""

    def __init__(self, app: Any, client: TestClient[Any, Any], producer: FakeProducer) -> None:
        self.app, self.client, self.producer = app, client, producer
        self.tracker = app.runtime.processor("tracker")
        self.offsets = count()

    def placed(self) -> list[Sent]:
        return self.producer.published(self.app.runtime.settings.topic_name("orders"))

    async def record(self, sent: Sent) -> None:
        """The tracker reads the OrderPlaced from the orders topic."""
        key = (sent.key or b"").decode()
        topic = self.tracker.spec.inputs[0]
        tp = TopicPartition(topic, partition_for(key, self.tracker.settings.partitions))
        value = sent.value or b""
        await self.tracker.process(
            {tp: [record(topic, tp.partition, next(self.offsets), key, value)]}
        )

    async def post(self, body: dict[str, Any], key: str) -> Any:
        return await self.client.post("/orders", json=body, headers={"Idempotency-Key": key})

    async def post_recorded(self, body: dict[str, Any], key: str) -> Any:
        """A first POST, its OrderPlaced recorded by the tracker while the POST waits for it."""
        answer = asyncio.create_task(self.post(body, key))
        before = len(self.placed())
        await until(lambda: len(self.placed()) > before, turns=5000)
        await self.record(self.placed()[-1])
        return await answer


async def serve(tmp_path: Path, **settings: Any) -> AsyncIterator[Worker]:
    producer, port = FakeProducer(auto=True), free_port()
    app = build_app(tmp_path, producer, web_port=port, **settings)
    async with TestClient(TestServer(app.routes, host="127.0.0.1", port=port)) as client:
        yield Worker(app, client, producer)


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[Worker]:
    async for served in serve(tmp_path):  # the tracker asked is this worker's own
        yield served


async def test_a_repeated_key_answers_the_first_workflow_and_publishes_nothing_more(
    worker: Worker,
) -> None:
    first = await worker.post_recorded(GOOD_ORDER, "order-1")
    again = await worker.post(GOOD_ORDER, "order-1")

    assert first.status == again.status == 202
    body = await first.json()
    assert body["correlation_id"] == keyed_ids("order-1")[0]
    assert await again.json() == body
    assert again.headers["Location"] == first.headers["Location"] == body["status_url"]
    [sent] = worker.placed()
    placed = decode_event(sent.value or b"")
    assert (placed.correlation_id, placed.event_id) == keyed_ids("order-1")


async def test_the_same_key_with_another_order_is_409_and_publishes_nothing(
    worker: Worker,
) -> None:
    await worker.post_recorded(GOOD_ORDER, "order-2")

    refused = await worker.post(OTHER_ORDER, "order-2")

    assert refused.status == 409
    body = await refused.json()
    assert "already used for a different order" in body["error"]
    assert body["correlation_id"] == keyed_ids("order-2")[0]
    assert len(worker.placed()) == 1


async def test_two_orders_racing_on_one_key_the_first_published_is_taken_the_other_is_409(
    worker: Worker,
) -> None:
    racing = [asyncio.create_task(worker.post(b, "order-3")) for b in (GOOD_ORDER, OTHER_ORDER)]
    await until(lambda: len(worker.placed()) == 2, turns=5000)  # neither found a workflow
    first, second = worker.placed()
    await worker.record(first)
    await worker.record(second)  # the same event id: dropped by the tracker

    answers = [await answer for answer in racing]

    taken = 0 if decode_event(first.value or b"").order.lines[0].sku == "PEN" else 1
    assert [a.status for a in answers] == [202 if n == taken else 409 for n in range(2)]
    assert (await answers[taken].json())["correlation_id"] == keyed_ids("order-3")[0]
    assert (await answers[1 - taken].json())["correlation_id"] == keyed_ids("order-3")[0]


async def test_a_keyed_order_is_not_placed_when_the_tracker_cannot_be_asked(
    tmp_path: Path,
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async for worker in serve(tmp_path, tracker_url=nobody):
        refused = await worker.post(GOOD_ORDER, "order-4")
        unkeyed = await worker.client.post("/orders", json=GOOD_ORDER)

        assert refused.status == 503
        assert refused.headers["Retry-After"] == "1"
        assert "nothing was placed" in (await refused.json())["error"]
        assert unkeyed.status == 202  # an order without a key does not ask the tracker
        assert len(worker.placed()) == 1


async def test_a_keyed_order_the_tracker_does_not_show_in_time_is_503_until_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders, "CONFIRM_SECONDS", 0.2)
    async for worker in serve(tmp_path):
        unconfirmed = await worker.post(GOOD_ORDER, "order-5")
        [sent] = worker.placed()
        await worker.record(sent)
        repeated = await worker.post(GOOD_ORDER, "order-5")

        assert unconfirmed.status == 503
        body = await unconfirmed.json()
        assert body["correlation_id"] == keyed_ids("order-5")[0]
        assert "repeat it with the same Idempotency-Key" in body["error"]
        assert repeated.status == 202
        assert (await repeated.json())["correlation_id"] == body["correlation_id"]
        assert len(worker.placed()) == 1


@pytest.mark.parametrize(
    "key", ["", "k" * 256, "caf\u00e9"], ids=["empty", "too long", "not ASCII"]
)
async def test_a_bad_key_is_400_and_publishes_nothing(worker: Worker, key: str) -> None:
    response = await worker.client.post(
        "/orders", json=GOOD_ORDER, headers={"Idempotency-Key": key.encode().decode("latin-1")}
    )

    assert response.status == 400
    assert "Idempotency-Key" in (await response.json())["error"]
    assert worker.placed() == []
