"""Read every audited record from the beginning up to the end offsets taken at start."""

from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab.audit.model import AuditLog, Record
from eventcollab.runtime.kafka import Brokers, client_options, connection, read_from_start, started
from eventcollab.settings import Settings
from eventcollab.topics import DEAD_LETTERS, STOCK_COMMANDS, WORKFLOW_TOPICS


def workflow_topics(settings: Settings) -> tuple[str, ...]:
    return tuple(settings.topic_name(spec.name) for spec in WORKFLOW_TOPICS)


def stock_commands_topic(settings: Settings) -> str:
    return settings.topic_name(STOCK_COMMANDS.name)


def changelog_topic(settings: Settings) -> str:
    """The tracker's compacted changelog: key `workflows/<correlation id>`, WorkflowState JSON."""
    return settings.changelog_of("tracker")


async def read_log(settings: Settings, timeout: float = 60.0) -> AuditLog:
    brokers = client_options(settings)
    stock, changelog = stock_commands_topic(settings), changelog_topic(settings)
    letters = settings.topic_name(DEAD_LETTERS.name)
    names = (*workflow_topics(settings), stock, changelog)
    read = await partitions_of(brokers, (*names, letters))
    records = await read_partitions(brokers, read, timeout)
    return AuditLog(
        workflow=tuple(r for r in records if r.topic not in (stock, changelog, letters)),
        stock_commands=tuple(r for r in records if r.topic == stock),
        changelog=tuple(r for r in records if r.topic == changelog),
        topics=names,
        dead_letters=tuple(r for r in records if r.topic == letters),
    )


async def partitions_of(brokers: Brokers, names: tuple[str, ...]) -> list[Any]:
    """The partitions of those topics that exist; a missing topic has none."""
    options = connection(brokers)
    admin = AIOKafkaAdminClient(**options)
    await started(admin, options)
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


async def read_partitions(brokers: Brokers, partitions: list[Any], timeout: float) -> list[Record]:
    return [record_of(raw) for raw in await read_from_start(brokers, partitions, timeout)]


def record_of(raw: Any) -> Record:
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value,
        timestamp=raw.timestamp,
    )
