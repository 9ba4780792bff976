"""Stand-ins for the Kafka clients of a processor: every send is a future the test resolves.

Nothing here is resolved in advance: a test decides when the broker "acknowledges", so it can
prove what a processor does before and after that moment.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.structs import RecordMetadata


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int | None
    ack: asyncio.Future[Any]


class FakeBatch:
    def __init__(self, capacity: int | None = None) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []
        self.capacity = capacity  # records it takes; None: any number

    def append(self, *, key: bytes, value: bytes | None, timestamp: Any) -> object | None:
        if self.capacity is not None and len(self.records) >= self.capacity:
            return None  # full, as aiokafka's builder says it
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        pass


@dataclass
class FakeProducer:
    """Records every send; `acknowledge()` plays the broker, `fail()` a broker that refuses."""

    sent: list[Sent] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    auto: bool = False
    batch_capacity: int | None = None

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> Any:
        return self.record(topic, key, value, None)

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_capacity)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        ack = self.record(topic, None, None, partition)
        ack.batch = batch.records  # type: ignore[attr-defined]
        return ack

    def record(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None
    ) -> Any:
        ack = asyncio.get_running_loop().create_future()
        self.sent.append(Sent(topic, key, value, partition, ack))
        if self.auto:
            self.resolve(self.sent[-1])
        return ack

    def resolve(self, sent: Sent) -> None:
        partition = sent.partition or 0
        base = self.offsets.get((sent.topic, partition), 0)
        count = len(getattr(sent.ack, "batch", [None]))
        self.offsets[(sent.topic, partition)] = base + count
        tp = TopicPartition(sent.topic, partition)
        sent.ack.set_result(RecordMetadata(sent.topic, partition, tp, base, -1, 0, -1))

    def acknowledge(self) -> int:
        pending = [s for s in self.sent if not s.ack.done()]
        for sent in pending:
            self.resolve(sent)
        return len(pending)

    def fail(self, error: Exception) -> None:
        for sent in self.sent:
            if not sent.ack.done():
                sent.ack.set_exception(error)

    def to(self, topic: str) -> list[Sent]:
        """What was sent to `topic`: records, or record batches as one each."""
        return [s for s in self.sent if s.topic == topic]

    def published(self, topic: str) -> list[Sent]:
        """Every record sent to `topic`, the records of a batch one by one (sharing its ack)."""
        records = []
        for sent in self.to(topic):
            batch = getattr(sent.ack, "batch", None)
            if batch is None:
                records.append(sent)
            else:
                records += [Sent(topic, k, v, sent.partition, sent.ack) for k, v in batch]
        return records


@dataclass
class FakeConsumer:
    """Hands out scripted batches, then calls `when_empty` (a processor's stop, say)."""

    assigned: set[TopicPartition] = field(default_factory=set)
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    batches: list[dict[TopicPartition, list[Any]]] = field(default_factory=list)
    seeks: list[tuple[TopicPartition, int]] = field(default_factory=list)
    when_empty: Any = None
    highwaters: dict[TopicPartition, int] = field(default_factory=dict)  # of the last fetch
    positions: dict[TopicPartition, int] = field(default_factory=dict)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        if not self.batches:
            self.when_empty()
            return {}
        return self.batches.pop(0)

    async def committed(self, tp: TopicPartition) -> int | None:
        offsets = [c[tp] for c in self.commits if tp in c]
        return offsets[-1] if offsets else None

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters.get(tp)

    async def position(self, tp: TopicPartition) -> int:
        return self.positions.get(tp, 0)

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.seeks.append((tp, 0))


@dataclass
class GatedConsumer(FakeConsumer):
    """A consumer whose commits wait for `release()` and may be refused: a slow coordinator."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    refuse: int = 0  # how many of the next commits fail
    tried: list[dict[TopicPartition, int]] = field(default_factory=list)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.tried.append(dict(offsets))
        await self.gate.wait()
        if self.refuse:
            self.refuse -= 1
            raise ConnectionError("coordinator gone")
        self.commits.append(dict(offsets))

    def release(self) -> None:
        self.gate.set()


def record(topic: str, partition: int, offset: int, key: str, value: bytes) -> Any:
    return ConsumerRecord(
        topic, partition, offset, 0, 0, key.encode(), value, None, len(key), len(value), ()
    )
