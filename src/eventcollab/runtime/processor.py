"""A processor: one consumer group reading its input topics in units of work.

A unit of work is a batch of records from the consumer. Each record goes through the processor's
handler (pure decisions behind a thin shell), which only collects outputs and state changes. Then:

  1. the outputs are sent and acknowledged by the broker;
  2. the state changes are written to the changelog (one record batch per partition, appended
     whole or not at all) and acknowledged;
  3. they are written to the local RocksDB with the changelog offset they reached;
  4. the input offsets after the last record of the unit are committed.

Step 2 of a unit goes to the broker in the same request as step 1 of the next unit, so a unit
costs one wait for the broker, not two: the next unit is decided on the states the unit before
it left (`Work.before`), sent with that unit's changelog batches, and both are acknowledged
together. When no record is waiting, the changelog batches go alone at once (`settle`). Either
way, a unit's state reaches the changelog only after its outputs were acknowledged, and its
offsets are committed only after its state was stored.

A record its handler cannot process (it does not decode, or the handler keeps raising) becomes a
dead letter, an output of the unit like the others, sent in step 1 (see runtime.failures).

A crash between any two steps re-delivers the unit: handlers are idempotent and event ids are
derived from their causes, so a redone unit publishes the same events again at most, which every
consumer ignores. A failed request drops both units it carried and reads again from the offset
after the last stored one. An offset is committed only after every record before it was decided,
published and stored, because each processor has its own consumer group and processes its records
strictly in order: no other reader of the topic shares its offsets.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from mode import Service
from pydantic import BaseModel

from eventcollab.clock import now
from eventcollab.logs import HANDLING
from eventcollab.retention import horizon
from eventcollab.runtime import publish
from eventcollab.runtime.failures import Counts, Failures
from eventcollab.runtime.kafka import new_consumer, partition_for
from eventcollab.runtime.locate import Owners, locating_assignor
from eventcollab.runtime.metrics import UnitTimes
from eventcollab.runtime.retries import RetryPolicy
from eventcollab.runtime.store import Store, changelog_key
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import DEAD_LETTERS

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Changes: TypeAlias = dict[int, dict[bytes, bytes | None]]
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Handler = Callable[[Work, Record], None]
# Called now and then on each partition the processor owns, in a unit of work of its own, with
# the time: what it emits is published like a handler's outputs (it has no offset to commit).
Ticker = Callable[[Work, datetime], None]
# Told the table keys of each write to the store, or None when partitions were taken away.
Observer = Callable[[Iterable[bytes] | None], None]
# Told each stored unit's notes (Work.note), right after the store has them.
Keeper = Callable[[Work], None]

# A unit of work stops taking records once one partition's state changes reach this size, so
# they fit one record batch (see kafka.MAX_BATCH_BYTES).
UNIT_BYTES = 256_000
MAX_RECORDS = 500
# Records decided between two turns of the event loop: the other processors of the worker, whose
# fetches and acknowledgements are answered only at a turn, wait at most for these.
TURN_RECORDS = 32
RETRY_SECONDS = 1.0
STOP_SECONDS = 30


@dataclass(frozen=True)
class ProcessorSpec:
    """What a service declares: its name, what it reads, the tables it keeps, its handler."""

    name: str
    inputs: tuple[str, ...]
    handler: Handler
    tables: tuple[str, ...] = ()
    tick: Ticker | None = None
    tick_seconds: float = 1.0


async def acknowledged(pending: Iterable[asyncio.Future[Any]]) -> list[Any]:
    """Every result once all are done, or the first failure. Every failure is retrieved: when a
    request fails, aiokafka fails each of its batches, and a failure never retrieved is logged
    with a traceback when its future is collected (the crash suite saw one after a broker
    restart)."""
    results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


class Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: "Processor") -> None:
        self.processor = processor

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.processor.revoked(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self.processor.assigned(assigned)


class Processor(Service):
    # Kafka clients need the running event loop: they are made when the worker starts.
    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    restorer: AIOKafkaConsumer

    def __init__(self, spec: ProcessorSpec, settings: Settings, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec
        self.settings = settings
        self.group = settings.group_of(spec.name)
        changelog = settings.changelog_of(spec.name)
        self.store = Store(settings.data_dir / self.group, changelog) if spec.tables else None
        self.lock = asyncio.Lock()
        self.ready = asyncio.Event()
        self.owned: set[int] = set()
        # Every partition's owner in the group, by web URL (see runtime.locate); replaced whole.
        self.owners: Owners = {}
        self.url = ""  # this worker's web URL, which the other members forward queries to
        self.observers: list[Observer] = []
        self.keepers: list[Keeper] = []
        self.running_in: asyncio.AbstractEventLoop | None = None
        self.rebalancing = True
        self.restoring: tuple[int, ...] = ()  # the partitions being restored, for /readyz
        self.finished: dict[TopicPartition, int] = {}  # offsets after what was finished
        self.uncommitted: dict[TopicPartition, int] = {}  # finished, not yet committed
        self.committing: asyncio.Task[None] | None = None
        self.loop_task: asyncio.Task[None] | None = None
        # The last unit whose outputs were acknowledged and whose state changes are not on the
        # changelog yet: they go with the next unit's outputs, or alone if none comes (`settle`).
        self.pending: Work | None = None
        self.stopping = False
        self.next_tick = time.monotonic() + spec.tick_seconds
        self.failures = Failures(spec.name, RetryPolicy.of(settings), settings.partitions)
        self.dead_letters = settings.topic_name(DEAD_LETTERS.name)
        self.counts = Counts()  # replaced whole: the web server's thread reads it
        self.unit_times = UnitTimes()  # of the units that took records (runtime.metrics)
        self.committed: dict[TopicPartition, int] = {}  # the offsets last committed

    @property
    def changelog(self) -> str | None:
        return self.store.changelog if self.store else None

    def use(self, producer: AIOKafkaProducer) -> "Processor":
        self.producer = producer
        return self

    async def on_start(self) -> None:
        self.running_in = asyncio.get_running_loop()
        # The client id names the worker, so the group's members show who runs the processor.
        client_id = f"{self.settings.worker_id}/{self.spec.name}"
        assignor = locating_assignor(self.url, self.learn_owners)
        self.consumer = new_consumer(
            self.settings, self.group, assignor, client_id=client_id, max_poll_records=MAX_RECORDS
        )
        self.restorer = new_consumer(self.settings, None)
        await self.restorer.start()
        self.consumer.subscribe(list(self.spec.inputs), listener=Rebalance(self))
        await self.consumer.start()
        self.loop_task = asyncio.create_task(self.run(), name=f"processor-{self.spec.name}")

    async def on_stop(self) -> None:
        self.stopping = True
        if self.loop_task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.loop_task), timeout=STOP_SECONDS)
            except TimeoutError:
                # Nothing of the unsent unit was committed: the next owner does it again.
                log.warning("%s: unit of work unfinished after %d s; leaving", self, STOP_SECONDS)
                self.loop_task.cancel()
        await self.flush_commits()
        await self.consumer.stop()
        await self.restorer.stop()
        if self.store is not None:
            self.store.close()

    async def run(self) -> None:
        while not self.stopping:
            try:
                # With a unit's state changes waiting, take only what is already fetched.
                waiting = 0 if self.pending is not None else 500
                batch = await self.consumer.getmany(timeout_ms=waiting, max_records=MAX_RECORDS)
                async with self.lock:
                    if batch:
                        await self.advance(batch)
                    else:
                        await self.settle()
                if self.spec.tick is not None and time.monotonic() >= self.next_tick:
                    self.next_tick = time.monotonic() + self.spec.tick_seconds
                    async with self.lock:
                        await self.settle()  # the ticker scans what is stored
                        await self.ticked(self.spec.tick)
            except Exception:
                log.exception("%s: unit of work failed; reading again from the last commit", self)
                async with self.lock:
                    self.pending = None  # its offsets are not finished: it is read again
                    await self.rewind()
                await asyncio.sleep(RETRY_SECONDS)
        async with self.lock:
            try:
                await self.settle()
            except Exception:  # not committed: read again by the next owner
                log.exception("%s: storing the last unit failed while stopping", self)

    async def process(self, batch: dict[TopicPartition, list[Record]]) -> None:
        """The batch decided, published, stored and its offsets committed."""
        await self.advance(batch)
        await self.settle()

    async def advance(self, batch: dict[TopicPartition, list[Record]]) -> None:
        """The batch decided and published; the last unit's state changes wait for the next
        request (`commit`) or for `settle`."""
        assigned = self.consumer.assignment()
        handler, name = self.spec.handler, self.spec.name
        limit = horizon(self.settings, now())  # older events that find no state: passed over
        work = Work(self.store, UNIT_BYTES, self.pending, limit)
        for tp, records in batch.items():
            if tp not in assigned or tp.partition not in self.owned:
                continue  # fetched before a rebalance took the partition away
            work.take(tp)
            for count, record in enumerate(records, 1):
                work.savepoint()
                handling = HANDLING.set((name, record))  # what its log lines name
                try:
                    handler(work, record)
                except Exception as error:
                    work.rollback()
                    await self.failures.recover(handler, work, record, error)
                else:
                    work.processed += 1
                finally:
                    HANDLING.reset(handling)
                work.finished(tp, record.offset)
                if count % TURN_RECORDS == 0:
                    await asyncio.sleep(0)  # a turn for the other processors
                if work.full:
                    await self.commit(work)
                    work = Work(self.store, UNIT_BYTES, self.pending, limit)
                    work.take(tp)
        await self.commit(work)

    async def ticked(self, tick: Ticker) -> None:
        """The ticker on every owned partition, each in a unit of work of its own."""
        for partition in sorted(self.owned):
            work = Work(self.store, UNIT_BYTES)
            work.on(partition)
            handling = HANDLING.set((self.spec.name, None))
            try:
                tick(work, now())
            finally:
                HANDLING.reset(handling)
            await self.commit(work)
            await asyncio.sleep(0)  # a turn for the other processors

    async def commit(self, work: Work) -> None:
        """Send the unit's outputs with the changelog batches of the unit before it, wait for
        both once, store the unit before; the unit's own changes wait for the next request."""
        producer = self.producer
        outputs = publish.by_partition(work.outputs, self.settings.partitions)
        for partition, key, letter in work.letters:
            outputs.setdefault((self.dead_letters, partition), []).append((key, letter))
        sent = [await publish.send(producer, t, p, e) for (t, p), e in outputs.items()]
        before = self.pending
        changelog = await self.send_changelog(before.changes) if before is not None else {}
        # One wait for both: a failed request leaves no future of the other unretrieved.
        await acknowledged([*(f for batches in sent for f in batches), *changelog.values()])
        if before is not None:
            self.pending = None
            self.keep(before, await self.reached(changelog, before.changes))
            work.before = None  # stored: read from the store from now on
        if work.changes:
            self.pending = work
        else:
            self.keep(work, {})

    async def settle(self) -> None:
        """Write the waiting unit's state changes to the changelog alone, and store them."""
        before = self.pending
        if before is None:
            return
        changelog = await self.send_changelog(before.changes)
        reached = await self.reached(changelog, before.changes)
        self.pending = None
        self.keep(before, reached)

    def keep(self, work: Work, reached: dict[int, int]) -> None:
        """The unit is on the broker whole: store its state, count it, commit its offsets."""
        work.before = None
        if self.store is not None and work.changes:
            for number, changes in work.changes.items():
                held = work.held.get(number)
                self.store.partition(number).write(changes, reached[number], held)
            for observe in self.observers:
                observe(key for changes in work.changes.values() for key in changes)
        if work.notes:
            for kept in self.keepers:
                kept(work)
        self.counts = self.counts.plus(work)
        if work.done:
            self.unit_times.observe(time.monotonic() - work.began)
            self.finished.update(work.done)
            self.uncommitted.update(work.done)
            if self.committing is None or self.committing.done():
                self.committing = asyncio.create_task(self.commit_offsets())

    async def commit_offsets(self) -> None:
        """Commit what was finished, in the background: the next unit need not wait for it.

        One commit at a time; offsets finished meanwhile go together in the next one. A failed
        commit leaves its offsets for the next (a crash before that only re-delivers records,
        which every handler ignores). Rebalances and stops wait for this (`flush_commits`).
        """
        while self.uncommitted:
            offsets, self.uncommitted = self.uncommitted, {}
            try:
                await self.consumer.commit(offsets)
            except Exception as error:
                log.warning("%s: committing %s failed (%r); retried later", self, offsets, error)
                self.uncommitted = offsets | self.uncommitted
                return
            self.committed.update(offsets)

    async def flush_commits(self) -> None:
        if self.committing is not None:
            await asyncio.wait([self.committing])
        if self.uncommitted:
            await self.commit_offsets()

    async def send_changelog(self, changes: Changes) -> dict[int, asyncio.Future[Any]]:
        """Each partition's changes as one record batch, sent; acknowledged later."""
        assert self.store is not None
        changelog = self.store.changelog
        return {
            number: await publish.send_whole(self.producer, changelog, number, entries.items())
            for number, entries in changes.items()
        }

    @staticmethod
    async def reached(pending: dict[int, asyncio.Future[Any]], changes: Changes) -> dict[int, int]:
        """The changelog offset each partition reached, once its batch is acknowledged."""
        metadata = await acknowledged(pending.values())
        return {
            number: meta.offset + len(changes[number])
            for number, meta in zip(pending, metadata, strict=True)
        }

    def reading(self, read: Callable[[Work], T]) -> "Future[dict[int, T]]":
        """`read` on each owned partition, from another thread: run in the processor's loop
        between two units of work, so it sees the store and what was told to the keepers at
        one and the same point."""
        assert self.running_in is not None, "the processor has not started"
        return asyncio.run_coroutine_threadsafe(self.read_owned(read), self.running_in)

    async def read_owned(self, read: Callable[[Work], T]) -> dict[int, T]:
        async with self.lock:
            found: dict[int, T] = {}
            for partition in sorted(self.owned):
                work = Work(self.store, UNIT_BYTES)
                work.on(partition)
                found[partition] = read(work)
            return found

    def learn_owners(self, owners: Owners) -> None:
        self.owners = owners

    async def rewind(self) -> None:
        """Read again from the offset after the last record this processor finished."""
        try:
            for tp in self.consumer.assignment():
                offset = self.finished.get(tp)
                if offset is None:
                    offset = await self.consumer.committed(tp)
                if offset is None:
                    await self.consumer.seek_to_beginning(tp)
                else:
                    self.consumer.seek(tp, offset)
        except Exception:
            log.exception("%s: could not rewind; retrying", self)

    async def revoked(self, revoked: list[TopicPartition]) -> None:
        # Waiting for the lock lets the unit in progress finish and commit before another
        # worker takes its partitions.
        async with self.lock:
            try:
                await self.settle()
            except Exception:  # its offsets are not committed: the next owner does it again
                log.exception("%s: storing the last unit failed; leaving it", self)
                self.pending = None
            await self.flush_commits()
            self.rebalancing = True
            self.owned = set()
            for observe in self.observers:
                observe(None)
            self.finished.clear()
            self.uncommitted.clear()
            self.committed.clear()

    async def assigned(self, assigned: list[TopicPartition]) -> None:
        async with self.lock:
            numbers = sorted({tp.partition for tp in assigned})
            self.restoring = tuple(numbers)
            await self.restore(numbers)
            self.restoring = ()
            self.owned = set(numbers)
            self.rebalancing = False
            self.ready.set()

    async def restore(self, numbers: list[int]) -> None:
        """Restore until it succeeds: deciding on a state that is not restored could double an
        effect, and the consumer fetches nothing until this returns."""
        while self.store is not None and not self.stopping:
            try:
                read = await self.store.restore(self.restorer, numbers)
            except Exception:
                log.exception("%s: restoring partitions %s failed; retrying", self, numbers)
                await asyncio.sleep(RETRY_SECONDS)
            else:
                log.info("%s: restored %d state records for partitions %s", self, read, numbers)
                return

    @property
    def serving(self) -> bool:
        """False while state is being (re)assigned or restored: a read could miss what exists."""
        return not self.rebalancing  # true from the first assignment on, between rebalances

    def lookup(self, table: str, key: str, model: type[M]) -> M | None:
        """The stored state of `key`, when this worker owns its partition (else None).

        Called from the web server's thread too: it opens nothing (an owned partition is open
        since its restore) and reads `owned` once, as a whole set.
        """
        partition = partition_for(key, self.settings.partitions)
        store = self.store.opened(partition) if self.store is not None else None
        if store is None or partition not in self.owned:
            return None
        raw = store.get(changelog_key(table, key))
        return None if raw is None else model.model_validate_json(raw)

    def __str__(self) -> str:
        return f"processor {self.spec.name}"
