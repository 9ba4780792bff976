"""Rebuilding one processor's state from its inputs, while every service keeps running.

The processor's real handler is folded over its input topics from the beginning, into a RocksDB
store of the rebuild's own (`<data dir>/replay/rebuild-<processor>/`); what it emits goes
nowhere, so no other service is triggered. It runs in two phases, by the same command:

1. While the processor's workers run, it folds up to the offsets their group has committed, with
   progress; run again, it goes on where it stopped.
2. Once they are stopped (their group has no member), it folds up to the group's final committed
   offsets, so the rebuilt state is the fold of exactly what the group finished, then appends to
   the processor's changelog what turns the old state into the new one: the values that differ,
   and a tombstone for each key the new state does not have. A worker started again restores its
   tables to the end of the changelog, so it has the rebuilt state, and goes on from the
   committed offsets. The old state is left as it was until the rebuild has caught up.

The fold passes nothing over (runtime.offline): an entry the workers removed past the retention
horizon comes back, dated by the same events, if the topics still hold them; the workers' sweep
removes it again within a pass (eventcollab.sweep).
"""

import asyncio
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab import topics
from eventcollab.agents import inventory, orders, payments, shipping, tracker
from eventcollab.records import Refused
from eventcollab.replay.from_start import members_of
from eventcollab.replay.log import Record, Span, reader, records_in, span_of
from eventcollab.replay.progress import Checkpoint, Stop, Tally, bar, stoppable
from eventcollab.runtime.kafka import client_options, new_producer, read_from_start
from eventcollab.runtime.offline import decided
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.runtime.store import OWN, Store
from eventcollab.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Rebuilt:
    processor: str
    switched: bool  # False: caught up with the running workers; stop them and run again
    tally: Tally = field(default_factory=Tally)
    interrupted: bool = False  # stopped by SIGINT: run again to go on


def spec_of(settings: Settings, processor: str) -> ProcessorSpec:
    names = topics.declare(settings)
    services = (orders, payments, inventory, shipping, tracker)
    specs: dict[str, ProcessorSpec] = {
        s.name: s for service in services for s in service.processors(settings, names)
    }
    stateful = sorted(name for name, spec in specs.items() if spec.tables)
    if processor not in specs or not specs[processor].tables:
        raise ValueError(f"no state to rebuild for {processor!r} (one of {', '.join(stateful)})")
    return specs[processor]


def folded(spec: ProcessorSpec, store: Store, record: Record, tally: Tally) -> None:
    """One record through the processor's handler; its state changes kept, its outputs not."""
    try:
        work = decided(spec.handler, store, record)
    except Refused:
        tally.add("refused (dead-lettered when it came)")
        return
    except Exception as error:  # as the worker would after its retries: set aside
        log.warning("%s[%d]@%d failed: %r", record.topic, record.partition, record.offset, error)
        tally.add("failed (dead-lettered when it came)")
        return
    tally.add("folded")
    for number, changes in work.changes.items():
        store.partition(number).write(changes, 0, work.held.get(number))


async def committed_offsets(
    settings: Settings, group: str, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**client_options(settings), group_id=group)
    await consumer.start()
    try:
        return {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
    finally:
        await consumer.stop()


async def rebuild(settings: Settings, processor: str, restart: bool = False) -> Rebuilt:
    spec = spec_of(settings, processor)
    group = settings.group_of(processor)
    home = settings.data_dir / "replay" / f"rebuild-{processor}"
    checkpoint_path = home.with_suffix(".json")
    if restart:
        shutil.rmtree(home, ignore_errors=True)
        checkpoint_path.unlink(missing_ok=True)
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        running = bool(await members_of(admin, group))
    finally:
        await admin.close()
    partitions = [TopicPartition(t, p) for t in spec.inputs for p in range(settings.partitions)]
    target = await committed_offsets(settings, group, partitions)
    result = Rebuilt(processor, switched=not running)
    store = Store(home, settings.changelog_of(processor))
    checkpoint = Checkpoint(checkpoint_path)
    try:
        with stoppable() as stop:
            await fold_up_to(settings, spec, store, checkpoint, target, result.tally, stop)
        if stop.asked or running:
            result.interrupted, result.switched = stop.asked, False
            return result
        changes = await switch(settings, store, settings.changelog_of(processor))
        result.tally.add("state records rewritten", changes)
    finally:
        store.close()
    shutil.rmtree(home, ignore_errors=True)
    checkpoint.remove()
    return result


async def fold_up_to(
    settings: Settings,
    spec: ProcessorSpec,
    store: Store,
    checkpoint: Checkpoint,
    target: dict[TopicPartition, int],
    tally: Tally,
    stop: Stop,
) -> None:
    consumer = reader(client_options(settings))
    await consumer.start()
    try:
        whole = await span_of(consumer, target, checkpoint.offsets)
        span = Span(whole.start, {tp: min(whole.end[tp], target[tp]) for tp in target})
        with bar(f"rebuilding {spec.name}", span.total) as shown:
            async for record in records_in(consumer, span):
                if stop.asked:
                    break  # between two records: the checkpoint says where to go on
                folded(spec, store, record, tally)
                checkpoint.finished(record)
                shown.advance()
                if tally.counts.total() % 1_000 == 0:
                    saved(store, checkpoint)
                    await asyncio.sleep(0)
        saved(store, checkpoint)
    finally:
        await consumer.stop()


def saved(store: Store, checkpoint: Checkpoint) -> None:
    # The state first, then the offsets it reached: a rebuild killed in between folds a few
    # records again, which changes nothing (handlers are idempotent).
    store.flush()
    checkpoint.save()


async def switch(settings: Settings, store: Store, changelog: str) -> int:
    """Append to the changelog what turns its state into the store's; the records written."""
    tps = [TopicPartition(changelog, p) for p in range(settings.partitions)]
    old: dict[int, dict[bytes, bytes | None]] = {p: {} for p in range(settings.partitions)}
    for record in await read_from_start(client_options(settings), tps):
        if record.key is not None:
            old[record.partition][record.key] = record.value
    producer = new_producer(settings)
    await producer.start()
    try:
        pending = [
            await producer.send(changelog, value, key=key, partition=number)
            for number in range(settings.partitions)
            for key, value in differences(old[number], stored(store, number))
        ]
        await asyncio.gather(*pending)
        return len(pending)
    finally:
        await producer.stop()


def stored(store: Store, number: int) -> dict[bytes, bytes]:
    if not (store.root / f"{number}.db").exists():
        return {}
    return {
        key: value
        for key, value in store.partition(number).scan(b"")
        if not key.startswith(OWN)  # the store's own records (its checkpoint), not state
    }


def differences(
    old: dict[bytes, bytes | None], new: dict[bytes, bytes]
) -> Iterator[tuple[bytes, bytes | None]]:
    """The records that turn `old` (tombstones as None) into `new`: changed or new values, then a
    tombstone for every key gone."""
    for key, value in new.items():
        if old.get(key) != value:
            yield key, value
    for key, before in old.items():
        if before is not None and key not in new:
            yield key, None
