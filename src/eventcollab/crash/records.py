"""What the log holds after a run: the orders placed on it and the workflows the tracker keeps;
and what a stretch of it holds, between offsets taken during the run."""

import asyncio
import json
from collections import defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from eventcollab.codec import decode_event
from eventcollab.models import OrderPlaced
from eventcollab.runtime.kafka import read_from_start
from eventcollab.runtime.store import changelog_key

TRACKER_KEY = changelog_key("workflows", "")  # the tracker's table, in its changelog
Offsets = dict[str, list[int]]  # per topic, an offset for each partition (as the report keeps it)


async def read_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 120.0) -> Any:
    """Every record of `topic`, from the beginning to the end offsets taken first."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    return await read_from_start(bootstrap, tps, timeout)


async def orders_on_log(bootstrap: str, topic: str, partitions: int) -> dict[str, set[str]]:
    """Correlation ids of the OrderPlaced events on `orders`, by tag (the customer id)."""
    found: dict[str, set[str]] = defaultdict(set)
    for record in await read_topic(bootstrap, topic, partitions):
        event = decode_event(record.value)
        if isinstance(event, OrderPlaced):
            found[event.order.customer_id].add(event.correlation_id)
    return dict(found)


async def tracked(bootstrap: str, changelog: str, partitions: int) -> dict[str, str]:
    """The status of every workflow in the tracker's table, from its changelog's latest values."""
    statuses: dict[str, str] = {}
    for record in await read_topic(bootstrap, changelog, partitions):
        if record.key is None or not record.key.startswith(TRACKER_KEY):
            continue
        correlation_id = record.key.removeprefix(TRACKER_KEY).decode()
        if record.value is None:
            statuses.pop(correlation_id, None)
        else:
            statuses[correlation_id] = json.loads(record.value)["status"]
    return statuses


async def end_offsets(consumer: AIOKafkaConsumer, topics: list[str], partitions: int) -> Offsets:
    """Where each partition of `topics` ends now: the next record goes there."""
    tps = [TopicPartition(topic, p) for topic in topics for p in range(partitions)]
    ends = await consumer.end_offsets(tps)
    return {topic: [ends[TopicPartition(topic, p)] for p in range(partitions)] for topic in topics}


async def read_between(
    bootstrap: str, starts: Offsets, ends: Offsets, timeout: float = 120.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records from `starts` up to `ends` (not included), in log order per partition."""
    wanted = {
        TopicPartition(topic, p): (starts[topic][p], end)
        for topic, offsets in ends.items()
        for p, end in enumerate(offsets)
        if starts[topic][p] < end
    }
    if not wanted:
        return []
    # "earliest" for the offset reset that assign() may still start after a seek: it rewinds at
    # worst, and what comes before a start is left out.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: dict[tuple[str, int, int], ConsumerRecord[bytes, bytes]] = {}
    try:
        consumer.assign(list(wanted))
        for tp, (start, _) in wanted.items():
            consumer.seek(tp, start)
        async with asyncio.timeout(timeout):
            while pending := [tp for tp in wanted if await consumer.position(tp) < wanted[tp][1]]:
                for tp, batch in (await consumer.getmany(*pending, timeout_ms=500)).items():
                    start, end = wanted[tp]
                    records.update(
                        ((r.topic, r.partition, r.offset), r)
                        for r in batch
                        if start <= r.offset < end
                    )
    finally:
        await consumer.stop()
    return sorted(records.values(), key=lambda r: (r.topic, r.partition, r.offset))
