"""Finished workflows leaving the tracker's tables past the state retention, through the real
processor, its RocksDB store and the worker's routes (Kafka faked): what leaves, what the lists,
counts, metrics and flow map say after, what a restore brings back, and old events passed over."""

import asyncio
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import ConsumerRecord, TopicPartition

from eventcollab import index
from eventcollab.agents import retiring
from eventcollab.codec import encode
from eventcollab.models import Event
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.processor import UNIT_BYTES, Processor
from eventcollab.runtime.store import Store
from eventcollab.runtime.work import Work
from eventcollab.workflow import WorkflowState
from tests.integration.fakes import FakeProducer
from tests.integration.processors import Harness
from tests.integration.test_metrics import scrape, value
from tests.integration.test_queries import Tracker
from tests.integration.test_web import build_app
from tests.unit.builders import T0, at, declined_path, happy_path, reserved, timed_out_path

# Long enough that the builders' events (2024) are inside the horizon when they are recorded:
# the checks below are given times a retention after them.
HOURS = math.ceil((datetime.now(UTC) - T0) / timedelta(hours=1)) + 7 * 24


def retention_after(seconds: int, hours: float = HOURS) -> datetime:
    """The time at which the horizon is `at(seconds)`."""
    return at(seconds) + timedelta(hours=hours)


async def check_at(processor: Processor, when: datetime) -> None:
    """The tracker's ticker on each partition at `when`, each unit stored as `ticked` does."""
    tick = processor.spec.tick
    assert tick is not None
    for partition in sorted(processor.owned):
        work = Work(processor.store, UNIT_BYTES)
        work.on(partition)
        tick(work, when)
        await processor.commit(work)
    await processor.settle()


def keys_of(processor: Processor) -> set[bytes]:
    assert processor.store is not None
    return {
        key
        for number in processor.owned
        for key, _ in processor.store.partition(number).scan(b"")
        if not key.startswith(b"\x00")  # the checkpoint
    }


async def map_after(client: TestClient[Any, Any], had: int) -> Any:
    """The map once it is made anew: a part is served again for a while (web.flow)."""
    for _ in range(200):
        flow = await (await client.get("/flow")).json()
        if flow["workflows"] != had:
            return flow
        await asyncio.sleep(0.05)
    raise AssertionError("the map never changed")


async def test_finished_workflows_leave_and_every_view_says_what_the_table_holds(
    tmp_path: Path,
) -> None:
    producer = FakeProducer(auto=True)
    app = build_app(tmp_path, producer, state_retention_hours=HOURS)
    tracker = app.runtime.processor("tracker")
    done, refused, late = happy_path(), declined_path(), timed_out_path()
    running = happy_path()[:2]
    await Tracker(app).record(*done, *refused, *late, *running)
    ids = {name: path[0].correlation_id for name, path in [("done", done), ("refused", refused)]}
    ids |= {"late": late[0].correlation_id, "running": running[0].correlation_id}

    held = keys_of(tracker)
    async with TestClient(TestServer(app.routes)) as client:
        assert (await (await client.get("/flow")).json())["workflows"] == 4  # the map is built
        before = await scrape(client)

        # Done ended at 4 s, refused at 2 s; late ended at 45 s but had steps until 47 s.
        await check_at(tracker, retention_after(10))

        for name in ("done", "refused"):
            assert (await client.get(f"/workflows/{ids[name]}")).status == 404
        for name in ("late", "running"):
            assert (await client.get(f"/workflows/{ids[name]}")).status == 200
        listed = (await (await client.get("/workflows?limit=100")).json())["workflows"]
        assert {w["correlation_id"] for w in listed} == {ids["late"], ids["running"]}
        stats = await (await client.get("/workflows/stats")).json()
        assert stats["counts"] == {
            "in_progress": 1,
            "compensating": 0,
            "completed": 0,
            "rejected": 0,
            "cancelled": 1,
        }
        assert stats["retired"] == {"completed": 1, "rejected": 1, "cancelled": 0}
        page = await (await client.get("/")).text()
        after = await scrape(client)
        flow = await map_after(client, had=4)

    assert '<b data-status="completed">0</b>' in page
    assert '<span data-outcome="completed">1</span> completed' in page
    assert value(after, "eventcollab_workflows", status="completed") == 0
    assert value(after, "eventcollab_workflows_retired", outcome="completed") == 1
    assert value(after, "eventcollab_workflows_retired", outcome="rejected") == 1
    # Started and finished count the workflows that left: they never go down.
    assert value(after, "eventcollab_workflows_started") == 4
    assert value(after, "eventcollab_workflows_finished", outcome="completed") == 1
    assert value(after, "eventcollab_table_entries_removed_total", processor="tracker") == 2
    assert value(before, "eventcollab_table_entries_removed_total", processor="tracker") == 0
    gone = {f"workflows/{ids[name]}".encode() for name in ("done", "refused")} | {
        f"{index.BY_STATUS}/{status}/{index.newest_first(at(0))}/{ids[name]}".encode()
        for name, status in (("done", "completed"), ("refused", "rejected"))
    }
    assert held - keys_of(tracker) == gone  # their states and index entries, nothing else
    # The live map: the fold of what the table holds, moved on by the notes of the leaving.
    assert flow["workflows"] == 2
    events = {node: found["events"] for node, found in flow["nodes"].items()}
    assert events["orders/OrderPlaced"] == 2
    assert "orders/OrderCompleted" not in events and "orders/OrderRejected" not in events
    assert events["orders/OrderCancelled"] == 1
    # Tombstones on the changelog, so that a restore does not bring them back.
    tombstones = {s.key for s in producer.published(tracker.changelog) if s.value is None}
    for name in ("done", "refused"):
        assert f"workflows/{ids[name]}".encode() in tombstones


async def test_a_check_waits_its_interval(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True), state_retention_hours=HOURS)
    tracker = app.runtime.processor("tracker")
    late = timed_out_path()  # its newest step at 47 s
    await Tracker(app).record(*late)
    cid = late[0].correlation_id

    await check_at(tracker, retention_after(10))  # checked: nothing due yet
    await check_at(tracker, retention_after(50))  # due, but only 40 s after the last check
    assert tracker.lookup("workflows", cid, WorkflowState) is not None
    await check_at(tracker, retention_after(70))  # a minute after the last check
    assert tracker.lookup("workflows", cid, WorkflowState) is None


async def test_a_minute_leaves_once_all_of_it_is_past_the_horizon(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True), state_retention_hours=HOURS)
    tracker = app.runtime.processor("tracker")
    late = timed_out_path()  # ended at 45 s, in the minute 12:00
    await Tracker(app).record(*late)
    minute = f"{index.FINISHED}/{index.minute_of(at(45))}".encode()
    assert minute in keys_of(tracker)

    await check_at(tracker, retention_after(48))  # the workflow leaves; 12:00:48 .. 12:01 not
    assert tracker.lookup("workflows", late[0].correlation_id, WorkflowState) is None
    assert minute in keys_of(tracker)
    await check_at(tracker, retention_after(108))
    assert minute not in keys_of(tracker)


async def test_a_backlog_goes_a_bounded_number_at_a_time_then_at_each_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retiring, "LOOKED_AT", 2)
    tracker = Harness("tracker", tmp_path, state_retention_hours=HOURS)
    processor = tracker.processor
    same = [on_partition(tracker, 0) for _ in range(5)]  # five finished on one partition
    young = shifted(on_partition(tracker, 0), 24 * 3600)
    for event in (*young, *(event for path in same for event in path)):
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))
    # The young one's state made unreadable: a check that reads it fails.
    store = processor.store.partition(0)  # type: ignore[union-attr]
    store.write({f"workflows/{young[0].correlation_id}".encode(): b"unreadable"}, store.checkpoint)

    def left() -> int:
        found = (processor.lookup("workflows", p[0].correlation_id, WorkflowState) for p in same)
        return sum(state is None for state in found)

    await check_at(processor, retention_after(10))
    assert left() == 2
    await check_at(processor, retention_after(11))  # stopped at its bound: checked again now
    assert left() == 4
    await check_at(processor, retention_after(12))
    assert left() == 5
    assert processor.counts.removed == 5
    # Read oldest first: the one that started a day later was never read, and stays.
    assert f"workflows/{young[0].correlation_id}".encode() in keys_of(processor)


class ChangelogReader:
    """Reads back what the fake producer wrote to a changelog, as the restore's consumer."""

    def __init__(self, producer: FakeProducer, changelog: str) -> None:
        self.records: dict[int, list[tuple[bytes | None, bytes | None]]] = {}
        for sent in producer.published(changelog):
            self.records.setdefault(sent.partition or 0, []).append((sent.key, sent.value))
        self.at: dict[TopicPartition, int] = {}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self.records.get(tp.partition, [])) for tp in tps}

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    def assign(self, tps: list[TopicPartition]) -> None:
        pass

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.at[tp] = offset

    async def position(self, tp: TopicPartition) -> int:
        return self.at[tp]

    async def getmany(self, tp: TopicPartition, timeout_ms: int) -> dict[TopicPartition, Any]:
        start, entries = self.at[tp], self.records.get(tp.partition, [])
        self.at[tp] = len(entries)
        return {
            tp: [
                ConsumerRecord(tp.topic, tp.partition, n, 0, 0, key, value, None, 0, 0, ())
                for n, (key, value) in enumerate(entries[start:], start)
            ]
        }


async def test_a_restore_from_the_changelog_does_not_bring_them_back(tmp_path: Path) -> None:
    producer = FakeProducer(auto=True)
    tracker = Harness("tracker", tmp_path / "worker", producer, state_retention_hours=HOURS)
    processor = tracker.processor
    done, running = happy_path(), happy_path()[:2]
    for event in (*done, *running):
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))
    await check_at(processor, retention_after(10))
    held = keys_of(processor)
    assert f"workflows/{done[0].correlation_id}".encode() not in held

    assert processor.changelog is not None
    restored = Store(tmp_path / "restored", processor.changelog)
    numbers = sorted(processor.owned)
    await restored.restore(ChangelogReader(producer, processor.changelog), numbers)  # type: ignore[arg-type]

    found = {key for n in numbers for key, _ in restored.partition(n).scan(b"") if key[0]}
    assert found == held
    restored.close()


async def test_old_events_of_a_workflow_that_left_are_passed_over_and_counted(
    tmp_path: Path,
) -> None:
    first = Harness("tracker", tmp_path, state_retention_hours=HOURS)
    done, running = happy_path(), happy_path()[:2]  # running: placed and paid, at 0 and 1 s
    for event in (*done, *running):
        await first.feed(first.names.orders, event.correlation_id, encode(event))
    await check_at(first.processor, retention_after(10))
    assert first.processor.store is not None
    first.processor.store.close()

    # The worker started again with a retention of an hour: the builders' events are past it.
    tracker = Harness("tracker", tmp_path, state_retention_hours=1)
    processor = tracker.processor
    for event in done:  # delivered again, each of them
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))

    assert processor.lookup("workflows", done[0].correlation_id, WorkflowState) is None
    assert processor.counts.passed_over == len(done)
    assert tracker.producer.sent == []  # nothing written, nothing sent
    # An event as old, whose workflow is still held (running), is recorded as always.
    stock = reserved(running[1], at(2))
    await tracker.feed(tracker.names.inventory, stock.correlation_id, encode(stock))
    state = processor.lookup("workflows", stock.correlation_id, WorkflowState)
    assert state is not None and state.timeline[-1].event_id == stock.event_id
    assert processor.counts.passed_over == len(done)


def shifted(events: list[Event], seconds: int) -> list[Event]:
    """The same workflow, each step `seconds` later."""
    by = timedelta(seconds=seconds)
    return [e.model_copy(update={"occurred_at": e.occurred_at + by}) for e in events]


def on_partition(tracker: Harness, partition: int) -> list[Event]:
    while True:
        path = happy_path()
        if partition_for(path[0].correlation_id, tracker.settings.partitions) == partition:
            return path


async def test_a_check_goes_on_where_the_last_left_off_and_misses_no_later_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retiring, "FULL_PASS_EVERY", 2)
    tracker = Harness("tracker", tmp_path, state_retention_hours=HOURS)
    processor = tracker.processor
    first = on_partition(tracker, 0)  # steps at 0 .. 4 s
    slow = shifted(on_partition(tracker, 0), 5)  # started at 5 s, ends after the first check
    quick = shifted(on_partition(tracker, 0), 6)  # started at 6 s, ended at 10 s
    for event in (*first, *slow[:2], *quick):
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))

    def held(path: list[Event]) -> bool:
        return processor.lookup("workflows", path[0].correlation_id, WorkflowState) is not None

    await check_at(processor, retention_after(5))  # a full pass: first leaves
    assert (held(first), held(slow), held(quick)) == (False, True, True)
    for event in slow[2:]:  # slow ends now, with a start older than quick's
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))
    # One that started long before the horizon of that check, and ended only now: it cannot
    # happen within the deadlines, and only a full pass finds it.
    ancient = shifted(on_partition(tracker, 0), -1000)
    for event in ancient:
        await tracker.feed(tracker.names.orders, event.correlation_id, encode(event))

    await check_at(processor, retention_after(70))  # goes on from the first start inside 5 s
    assert (held(slow), held(quick), held(ancient)) == (False, False, True)
    await check_at(processor, retention_after(140))  # a full pass
    assert not held(ancient)
