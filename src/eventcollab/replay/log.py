"""The log as a replay reads it: partitions from given offsets up to the ends they had when the
replay began, each partition in order, with no consumer group and no commits.

Ends are taken once, at the start: a replay over a live system finishes, and what was written
after it began is left to the services. Offsets are per `topic:partition`, the form a checkpoint
keeps (see replay.progress).
"""

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from eventcollab.runtime.kafka import Brokers, connection

Record: TypeAlias = ConsumerRecord[bytes, bytes]
FETCH_MS = 500


def position_key(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


@dataclass(frozen=True, slots=True)
class Span:
    """Where a replay reads: from `start` (inclusive) to `end` (exclusive), per partition."""

    start: dict[TopicPartition, int]
    end: dict[TopicPartition, int]

    @property
    def total(self) -> int:
        return sum(max(0, self.end[tp] - self.start[tp]) for tp in self.end)


async def span_of(
    consumer: AIOKafkaConsumer,
    partitions: Iterable[TopicPartition],
    resume: Mapping[str, int] | None = None,
) -> Span:
    """From the beginning (or where `resume` says a partition stopped) to the ends now."""
    chosen = list(partitions)
    end = await consumer.end_offsets(chosen)
    first = await consumer.beginning_offsets(chosen)
    start = {tp: max(first[tp], (resume or {}).get(position_key(tp), first[tp])) for tp in chosen}
    return Span(start, end)


async def records_in(
    consumer: AIOKafkaConsumer, span: Span, timeout: float = 600.0
) -> AsyncIterator[Record]:
    """Every record of the span, each partition in offset order (partitions interleaved)."""
    pending = [tp for tp in span.end if span.start[tp] < span.end[tp]]
    if not pending:
        return
    consumer.assign(pending)
    for tp in pending:
        consumer.seek(tp, span.start[tp])
    async with asyncio.timeout(timeout):
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=FETCH_MS)
            for tp, batch in batches.items():
                for record in batch:
                    if record.offset < span.end[tp]:
                        yield record
            pending = [tp for tp in pending if await consumer.position(tp) < span.end[tp]]


def reader(brokers: Brokers) -> AIOKafkaConsumer:
    """A consumer that leaves no trace: no group, no commits."""
    return AIOKafkaConsumer(
        **connection(brokers),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=1_000,
    )
