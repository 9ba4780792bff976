"""Read every audited record from the beginning up to the end offsets taken at start."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab.audit.model import AuditLog, Record
from eventcollab.settings import Settings
from eventcollab.topics import STOCK_COMMANDS, WORKFLOW_TOPICS


def workflow_topics(settings: Settings) -> tuple[str, ...]:
    return tuple(settings.topic_name(spec.name) for spec in WORKFLOW_TOPICS)


def stock_commands_topic(settings: Settings) -> str:
    return settings.topic_name(STOCK_COMMANDS.name)


def changelog_topic(settings: Settings) -> str:
    """The tracker's compacted changelog: key `workflows/<correlation id>`, WorkflowState JSON."""
    return settings.changelog_of("tracker")


async def read_log(settings: Settings, timeout: float = 60.0) -> AuditLog:
    bootstrap = settings.broker.removeprefix("kafka://")
    stock, changelog = stock_commands_topic(settings), changelog_topic(settings)
    names = (*workflow_topics(settings), stock, changelog)
    records = await read_partitions(bootstrap, await partitions_of(bootstrap, names), timeout)
    return AuditLog(
        workflow=tuple(r for r in records if r.topic not in (stock, changelog)),
        stock_commands=tuple(r for r in records if r.topic == stock),
        changelog=tuple(r for r in records if r.topic == changelog),
        topics=names,
    )


async def partitions_of(bootstrap: str, names: tuple[str, ...]) -> list[Any]:
    """The partitions of those topics that exist; a missing topic has none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # Metadata of every topic: naming ours would let a broker with auto-creation create the
        # missing ones, and an audit must not change what it audits.
        described: list[dict[str, Any]] = await admin.describe_topics()
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["topic"] in names and topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


async def read_partitions(bootstrap: str, partitions: list[Any], timeout: float) -> list[Record]:
    if not partitions:
        return []
    # No group and no commits: the audit reads, and leaves no trace on the broker. "earliest":
    # assign() starts an offset reset of its own, which with the default "latest" can land after
    # seek_to_beginning and leave the consumer at the end.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        end: dict[Any, int] = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records = await drain(consumer, end, timeout)
    finally:
        await consumer.stop()
    return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))


async def drain(consumer: Any, end: dict[Any, int], timeout: float) -> list[Record]:
    """Fetch until every partition reached its end offset; records written since are left out."""
    deadline = asyncio.get_running_loop().time() + timeout
    # By position: a record fetched twice (an offset reset racing the seek) is kept once.
    records: dict[tuple[str, int, int], Record] = {}
    while pending := [tp for tp in end if await consumer.position(tp) < end[tp]]:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(pending)} partitions not read to their end in {timeout} s")
        batches = await consumer.getmany(*pending, timeout_ms=500)
        for tp, batch in batches.items():
            records.update(
                ((raw.topic, raw.partition, raw.offset), record_of(raw))
                for raw in batch
                if raw.offset < end[tp]
            )
    return list(records.values())


def record_of(raw: Any) -> Record:
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value,
        timestamp=raw.timestamp,
    )
