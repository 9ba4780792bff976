"""GET /stats/processing: each processor's records, counted once their unit of work is stored."""

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from eventcollab.codec import encode
from eventcollab.runtime.kafka import partition_for
from tests.integration.fakes import FakeProducer, record
from tests.integration.test_processors import order_placed
from tests.integration.test_web import build_app


async def test_each_processor_counts_what_it_processed_and_dead_lettered(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    tracker = app.runtime.processor("tracker")
    placed = order_placed()
    cid = placed.correlation_id
    tp = TopicPartition(tracker.spec.inputs[0], partition_for(cid, tracker.settings.partitions))
    values = [encode(placed), b"not json", encode(placed)]
    batch = [record(tp.topic, tp.partition, n, cid, value) for n, value in enumerate(values)]

    async with TestClient(TestServer(app.routes)) as client:
        before = await (await client.get("/stats/processing")).json()
        await tracker.process({tp: batch})
        after = await (await client.get("/stats/processing")).json()

    assert set(after["processors"]) == set(app.runtime.processors)
    assert before["processors"]["tracker"]["consumed"] == 0
    counts = after["processors"]["tracker"]
    assert {k: v for k, v in counts.items() if k != "since"} == {
        "consumed": 3,
        "processed": 2,  # the same event twice: processed twice, applied once
        "dead_lettered": 1,
        "retried": 0,
    }
    assert after["processors"]["payments"]["consumed"] == 0
