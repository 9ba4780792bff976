"""HTTP views through aiohttp's test client: no broker, Kafka clients faked."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from eventcollab import topics, web
from eventcollab.app import create_app
from eventcollab.codec import decode_event, encode
from eventcollab.runtime.kafka import partition_for
from eventcollab.settings import Settings
from eventcollab.web import orders
from tests.integration.fakes import FakeConsumer, FakeProducer, record
from tests.integration.processors import until
from tests.integration.test_processors import order_placed

GOOD_ORDER = {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 2, "unit_price": "1.50"}]}


def build_app(data_dir: Path, producer: FakeProducer, **settings: Any) -> Any:
    """The worker's HTTP routes over a tracker whose state is local and fully assigned (kept
    for ever unless asked: the tests' events happened in 2024)."""
    given = {"state_retention_hours": -1} | settings
    config = Settings(app_id=f"web-{uuid4().hex[:8]}", data_dir=data_dir, **given)
    app = create_app(config)
    tracker = app.runtime.processor("tracker")
    tracker.use(producer)
    partitions = range(app.runtime.settings.partitions)
    inputs = {TopicPartition(topic, p) for topic in tracker.spec.inputs for p in partitions}
    tracker.consumer = FakeConsumer(assigned=inputs)
    tracker.owned = set(partitions)
    tracker.rebalancing = False
    tracker.ready.set()
    with contextlib.suppress(RuntimeError):  # the loop the tests feed the tracker in
        tracker.running_in = asyncio.get_running_loop()
    app.routes = web.application(config, topics.declare(config), app.runtime, producer)
    return app


@pytest.fixture
def producer() -> FakeProducer:
    return FakeProducer(auto=True)


@pytest.fixture
async def app(tmp_path: Path, producer: FakeProducer) -> Any:
    return build_app(tmp_path, producer, tracker_url="http://tracker.test")


@pytest.fixture
async def client(app: Any) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(app.routes)) as client:
        yield client


async def test_a_valid_order_is_accepted_and_published_keyed_by_its_correlation_id(
    producer: FakeProducer, client: TestClient[Any, Any]
) -> None:
    response = await client.post("/orders", json=GOOD_ORDER)

    assert response.status == 202
    body = await response.json()
    [sent] = producer.sent
    placed = decode_event(sent.value or b"")
    assert sent.key == body["correlation_id"].encode()
    assert body["correlation_id"] == placed.correlation_id
    assert body["status_url"] == f"http://tracker.test/workflows/{placed.correlation_id}"
    assert placed.event_type == "OrderPlaced"
    assert str(placed.order.total) == "3.00"


async def test_an_order_is_answered_only_once_the_broker_acknowledged_it(tmp_path: Path) -> None:
    producer = FakeProducer()
    app = build_app(tmp_path, producer)
    async with TestClient(TestServer(app.routes)) as client:
        answer = asyncio.create_task(client.post("/orders", json=GOOD_ORDER))
        await until(lambda: producer.sent, turns=2000)
        await asyncio.sleep(0.05)
        assert not answer.done()  # the OrderPlaced is with the producer, not yet the broker

        producer.acknowledge()
        response = await answer
        assert response.status == 202


async def test_an_order_the_broker_refuses_is_not_accepted(tmp_path: Path) -> None:
    producer = FakeProducer()
    app = build_app(tmp_path, producer)
    async with TestClient(TestServer(app.routes)) as client:
        answer = asyncio.create_task(client.post("/orders", json=GOOD_ORDER))
        await until(lambda: producer.sent, turns=2000)
        producer.fail(ConnectionError("broker gone"))
        response = await answer

    assert response.status == 500


@pytest.mark.parametrize(
    "body",
    [
        {"items": GOOD_ORDER["items"]},
        {"customer_id": "ann", "items": []},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 0, "unit_price": "1"}]},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 1, "unit_price": "-1"}]},
        {"customer_id": "ann", "items": [GOOD_ORDER["items"][0], GOOD_ORDER["items"][0]]},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": True, "unit_price": "1"}]},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": "2", "unit_price": "1"}]},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 1, "unit_price": "NaN"}]},
        {"customer_id": "ann\u0007", "items": GOOD_ORDER["items"]},
        {**GOOD_ORDER, "gift": True},
    ],
    ids=[
        "no customer",
        "no items",
        "quantity 0",
        "negative price",
        "a sku twice",
        "quantity true",
        "quantity text",
        "price NaN",
        "control character",
        "unknown field",
    ],
)
async def test_an_invalid_order_gets_422_with_reasons_and_publishes_nothing(
    producer: FakeProducer, client: TestClient[Any, Any], body: dict[str, Any]
) -> None:
    response = await client.post("/orders", json=body)

    assert response.status == 422
    assert (await response.json())["reasons"]
    assert producer.sent == []


async def test_malformed_json_gets_422(
    producer: FakeProducer, client: TestClient[Any, Any]
) -> None:
    response = await client.post("/orders", data=b"{not json")

    assert response.status == 422
    assert producer.sent == []


async def test_a_body_over_the_limit_gets_413_and_publishes_nothing(
    producer: FakeProducer, client: TestClient[Any, Any]
) -> None:
    padded = json.dumps({**GOOD_ORDER, "customer_id": "ann" + " " * orders.MAX_ORDER_BYTES})

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts bytes read
        for start in range(0, len(padded), 4096):
            yield padded[start : start + 4096].encode()

    declared = await client.post("/orders", data=padded.encode())
    streamed = await client.post("/orders", data=chunks())

    assert declared.status == streamed.status == 413
    assert "at most 65536 bytes" in (await declared.json())["error"]
    assert producer.sent == []


async def test_a_recorded_workflow_is_served_with_its_timeline_and_the_steps_to_come(
    app: Any, client: TestClient[Any, Any]
) -> None:
    placed = order_placed()
    tracker = app.runtime.processor("tracker")
    cid = placed.correlation_id
    tp = TopicPartition(tracker.spec.inputs[0], partition_for(cid, tracker.settings.partitions))
    await tracker.process({tp: [record(tp.topic, tp.partition, 0, cid, encode(placed))]})

    response = await client.get(f"/workflows/{placed.correlation_id}")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "in_progress"
    assert body["waiting_for"] == {"service": "payments", "action": "authorize the payment"}
    assert [step["service"] for step in body["expected"]] == [
        "payments",
        "inventory",
        "shipping",
        "orders",
    ]
    [step] = body["timeline"]
    assert step["event_id"] == str(placed.event_id)
    assert step["recorded_at"] is not None
    assert step["since_previous_ms"] is None


async def test_an_unknown_workflow_is_404(client: TestClient[Any, Any]) -> None:
    response = await client.get(f"/workflows/{uuid4()}")

    assert response.status == 404


async def test_status_is_503_while_state_is_reassigned(
    app: Any, client: TestClient[Any, Any]
) -> None:
    app.runtime.processor("tracker").rebalancing = True

    response = await client.get(f"/workflows/{uuid4()}")

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"


async def test_without_a_tracker_url_the_status_url_points_at_the_server_taking_the_order(
    tmp_path: Path, producer: FakeProducer
) -> None:
    async with TestClient(TestServer(build_app(tmp_path, producer).routes)) as client:
        response = await client.post("/orders", json=GOOD_ORDER)
        body = await response.json()
        origin = f"http://{client.host}:{client.port}"

    assert body["status_url"] == f"{origin}/workflows/{body['correlation_id']}"
