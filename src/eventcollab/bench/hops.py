"""Per-hop latency: from a cause's `occurred_at` to its effect's, read back from the topics.

Both contenders stamp `occurred_at` with the wall clock when a service decides and name the
cause in `causation_id`, so a hop's time is everything between two decisions: waiting for the
rest of a unit, publishing, the broker, fetching, and waiting for the consumer's turn. The log
is read after the phase, so that reading it does not compete with the contender.
"""

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from eventcollab.bench.stats import summary_ms

Decision = tuple[str, datetime]  # event type, occurred_at


def hop_times(events: list[dict[str, Any]], sent: dict[str, float]) -> dict[str, list[float]]:
    """Seconds per hop, "Cause -> Effect", for the workflows in `sent` (a record published
    twice counts once).

    `sent` holds each workflow's scheduled send time (epoch seconds): the bench encodes its
    OrderPlaced events before the phase, so their own `occurred_at` is earlier than the send.
    """
    decided: dict[str, Decision] = {}
    caused: dict[str, tuple[str, str, datetime]] = {}  # effect id: cause id, its type, its time
    for event in events:
        correlation_id = event.get("correlation_id")
        if correlation_id not in sent:
            continue
        if event.get("causation_id"):
            at = datetime.fromisoformat(event["occurred_at"])
        else:
            at = datetime.fromtimestamp(sent[correlation_id], UTC)
        decided[event["event_id"]] = (event["event_type"], at)
        if event.get("causation_id"):
            caused[event["event_id"]] = (event["causation_id"], event["event_type"], at)
    hops: dict[str, list[float]] = defaultdict(list)
    for cause_id, effect_type, at in caused.values():
        if cause_id in decided:
            cause_type, cause_at = decided[cause_id]
            hops[f"{cause_type} -> {effect_type}"].append((at - cause_at).total_seconds())
    return dict(hops)


def summarize(hops: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {hop: {"count": len(times), **summary_ms(times)} for hop, times in sorted(hops.items())}


async def read_events(bootstrap: str, topics: list[str], partitions: int) -> list[dict[str, Any]]:
    """Every record of `topics` up to their current end, decoded as JSON envelopes."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, n) for topic in topics for n in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        events: list[dict[str, Any]] = []
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            events += [orjson.loads(r.value) for rs in batch.values() for r in rs if r.value]
        return events
    finally:
        await consumer.stop()


async def behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def measure(
    bootstrap: str, topics: list[str], partitions: int, sent: dict[str, float]
) -> dict[str, dict[str, float]]:
    return summarize(hop_times(await read_events(bootstrap, topics, partitions), sent))
