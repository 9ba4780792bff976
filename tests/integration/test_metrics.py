"""GET /metrics: each processor's numbers and the tracker's workflows, scraped through aiohttp's
test client over a real tracker (RocksDB in a temp folder) with fake Kafka clients."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from eventcollab.codec import encode
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.store import OWN
from eventcollab.web import metrics
from tests.integration.fakes import FakeConsumer, FakeProducer, record
from tests.integration.processors import Harness
from tests.integration.test_processors import order_placed
from tests.integration.test_web import build_app
from tests.unit import builders

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def scrape(client: TestClient[Any, Any]) -> Samples:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(await response.text())


async def test_the_tracker_s_records_units_offsets_lag_and_workflows(tmp_path: Path) -> None:
    producer = FakeProducer(auto=True)
    app = build_app(tmp_path, producer)
    tracker = app.runtime.processor("tracker")
    placed = order_placed()
    cid = placed.correlation_id
    partition = partition_for(cid, tracker.settings.partitions)
    tp = TopicPartition(tracker.spec.inputs[0], partition)
    values = [encode(placed), b"not json", encode(placed)]
    batch = [record(tp.topic, tp.partition, n, cid, v) for n, v in enumerate(values)]
    consumer: FakeConsumer = tracker.consumer  # type: ignore[assignment]
    idle = TopicPartition(tp.topic, (partition + 1) % tracker.settings.partitions)
    consumer.highwaters = {tp: 5, idle: 7}  # two records more on tp; idle read up to 4
    consumer.positions = {idle: 4}

    async with TestClient(TestServer(app.routes)) as client:
        await tracker.process({tp: batch})
        await tracker.flush_commits()
        found = await scrape(client)

    t = {"processor": "tracker"}
    assert value(found, "eventcollab_records_consumed_total", **t) == 3
    assert value(found, "eventcollab_records_processed_total", **t) == 2
    assert value(found, "eventcollab_records_dead_lettered_total", **t) == 1
    assert value(found, "eventcollab_retries_total", **t) == 0
    sent = [s for s in producer.sent if s.topic != tracker.changelog]
    # the tracker emits nothing on an order placed: the one record out is the dead letter
    assert value(found, "eventcollab_records_produced_total", **t) == len(sent) == 1
    assert value(found, "eventcollab_units_stored_total", **t) == 1
    assert value(found, "eventcollab_unit_seconds_count", **t) == 1
    assert value(found, "eventcollab_unit_seconds_bucket", le="+Inf", **t) == 1
    assert value(found, "eventcollab_unit_seconds_sum", **t) > 0
    where = {"topic": tp.topic, "partition": str(partition)}
    assert value(found, "eventcollab_committed_offset", **t, **where) == 3
    assert value(found, "eventcollab_consumer_lag", **t, **where) == 2
    idle_where = {"topic": idle.topic, "partition": str(idle.partition)}
    assert value(found, "eventcollab_consumer_lag", **t, **idle_where) == 3
    lags = [k for k in found if k[0] == "eventcollab_consumer_lag"]
    assert len(lags) == 2  # only partitions with a fetch behind them
    assert value(found, "eventcollab_recovering", **t) == 0
    assert value(found, "eventcollab_partitions_owned", **t) == tracker.settings.partitions
    store = tracker.store.opened(partition)  # type: ignore[union-attr]
    assert store is not None
    # the workflow and its index entries, not the store's own checkpoint and count
    keys = sum(1 for key, _ in store.scan(b"") if not key.startswith(OWN))
    assert keys > 1
    assert value(found, "eventcollab_table_keys", **t, partition=str(partition)) == keys
    assert value(found, "eventcollab_workflows", status="in_progress") == 1
    assert value(found, "eventcollab_workflows", status="completed") == 0
    assert value(found, "eventcollab_workflows_started") == 1
    assert value(found, "eventcollab_workflows_finished", outcome="completed") == 0
    assert value(found, "eventcollab_flow_workflows") == 1
    assert value(found, "eventcollab_flow_node_events_total", node="orders/OrderPlaced") == 1
    # the worker's other processors: nothing consumed, never assigned
    assert value(found, "eventcollab_records_consumed_total", processor="payments") == 0
    assert value(found, "eventcollab_recovering", processor="payments") == 1


async def test_a_scrape_during_a_restore_answers_and_says_so(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    tracker = app.runtime.processor("tracker")
    # the lock is what `assigned` holds while it restores
    async with TestClient(TestServer(app.routes)) as client, tracker.lock:
        tracker.rebalancing = True
        found = await asyncio.wait_for(scrape(client), 5)
    assert value(found, "eventcollab_recovering", processor="tracker") == 1
    assert ("eventcollab_flow_workflows", ()) not in found  # the map waits for the restore
    assert value(found, "eventcollab_workflows_started") == 0


async def test_each_unit_is_counted_once_in_its_time_bucket(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    tracker = app.runtime.processor("tracker")
    tracker.unit_times.observe(0.003)
    tracker.unit_times.observe(0.005)  # on a bound: counted under it, as `le` says
    tracker.unit_times.observe(60.0)
    async with TestClient(TestServer(app.routes)) as client:
        found = await scrape(client)
    t = {"processor": "tracker"}
    assert value(found, "eventcollab_unit_seconds_bucket", le="0.0025", **t) == 0
    assert value(found, "eventcollab_unit_seconds_bucket", le="0.005", **t) == 2
    assert value(found, "eventcollab_unit_seconds_bucket", le="10.0", **t) == 2
    assert value(found, "eventcollab_unit_seconds_bucket", le="+Inf", **t) == 3
    assert value(found, "eventcollab_unit_seconds_sum", **t) == 60.008


async def test_a_tick_that_leaves_something_is_a_unit_an_idle_one_is_not(tmp_path: Path) -> None:
    tracker = Harness("tracker", tmp_path)
    processor, tick = tracker.processor, tracker.processor.spec.tick
    assert tick is not None
    unpaid = builders.order_placed(occurred_at=builders.at(0))  # long past its deadline
    await tracker.feed(tracker.names.orders, unpaid.correlation_id, encode(unpaid))
    assert (processor.counts.units, processor.counts.produced) == (1, 0)

    await processor.ticked(tick)  # reports the overdue step: one record out
    reported = len(tracker.emitted(tracker.names.deadlines))
    assert reported == 1
    assert (processor.counts.units, processor.counts.produced) == (2, 1)
    [report] = tracker.emitted(tracker.names.deadlines)  # read back, as the tracker reads it
    await tracker.feed(tracker.names.deadlines, unpaid.correlation_id, report)
    assert (processor.counts.units, processor.counts.produced) == (3, 1)
    await processor.ticked(tick)  # nothing more to report, on any partition
    assert (processor.counts.units, processor.counts.produced) == (3, 1)
    assert sum(processor.unit_times.counts) == 2  # the units that took a record


# The snapshot handed to a loop that never runs is never awaited: that is the case tested.
@pytest.mark.filterwarnings("ignore:coroutine 'snapshot' was never awaited")
async def test_a_processor_whose_loop_gives_no_turn_is_left_out_of_the_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics, "SNAPSHOT_SECONDS", 0.1)
    app = build_app(tmp_path, FakeProducer(auto=True))
    stopped = asyncio.new_event_loop()  # never runs: what a leaving worker's loop does
    app.runtime.processor("payments").running_in = stopped
    try:
        async with TestClient(TestServer(app.routes)) as client:
            found = await asyncio.wait_for(scrape(client), 5)
    finally:
        stopped.close()
    consumed = {
        dict(k[1])["processor"] for k in found if k[0] == "eventcollab_records_consumed_total"
    }
    assert consumed == set(app.runtime.processors) - {"payments"}


async def test_a_partition_taken_away_during_the_snapshot_has_no_lag(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    tracker = app.runtime.processor("tracker")
    first, second = sorted(tracker.consumer.assignment())[:2]

    class Revoking(FakeConsumer):
        async def position(self, tp: TopicPartition) -> int:
            self.assigned.discard(second)  # a rebalance while the position is awaited
            return 0

        def highwater(self, tp: TopicPartition) -> int | None:
            assert tp in self.assigned, "Partition is not assigned"  # as aiokafka's does
            return 4

    tracker.consumer = Revoking(assigned={first, second})  # type: ignore[assignment]
    async with TestClient(TestServer(app.routes)) as client:
        found = await scrape(client)
    lags = {k[1]: v for k, v in found.items() if k[0] == "eventcollab_consumer_lag"}
    assert list(lags.values()) == [4]
    assert dict(next(iter(lags)))["partition"] == str(first.partition)
