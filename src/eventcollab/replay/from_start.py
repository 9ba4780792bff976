"""The whole log again through every service: each processor's consumer group is set back to
the beginning of its inputs, and the workers, started again, read everything once more.

Handlers are idempotent (a decision taken once is recorded with its state; an event seen already
changes nothing), so the replay must publish nothing new on any workflow topic and leave every
status as it was; the end-to-end test proves it. Kafka moves a group's offsets only while it has
no member, so the processors' workers must be stopped first.
"""

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from eventcollab import topics
from eventcollab.agents import inventory, orders, payments, shipping, tracker
from eventcollab.runtime.kafka import client_options
from eventcollab.settings import Settings


@dataclass(frozen=True, slots=True)
class Rewound:
    processor: str
    group: str
    partitions: int
    records: int  # between the beginning and the committed offsets: what will be read again


class GroupInUse(Exception):
    """A processor's group still has members: its workers must stop first."""


def inputs_of(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Each processor and its input topics, as the services declare them."""
    names = topics.declare(settings)
    services = (orders, payments, inventory, shipping, tracker)
    specs = [spec for service in services for spec in service.processors(settings, names)]
    return {spec.name: spec.inputs for spec in specs}


async def members_of(admin: AIOKafkaAdminClient, group: str) -> list[str]:
    # One group per call: aiokafka fails to decode an answer about several groups.
    [described] = await admin.describe_consumer_groups([group])
    [state] = described.to_object()["groups"]
    return sorted(member["client_id"] for member in state["members"])


async def rewind(settings: Settings, chosen: list[str] | None = None) -> list[Rewound]:
    """Set each chosen processor's committed offsets to the beginning of its inputs."""
    inputs = inputs_of(settings)
    names = chosen or sorted(inputs)
    unknown = sorted(set(names) - set(inputs))
    if unknown:
        raise ValueError(f"no such processor: {', '.join(unknown)} (one of {', '.join(inputs)})")
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        busy = {n: await members_of(admin, settings.group_of(n)) for n in names}
    finally:
        await admin.close()
    if in_use := {n: members for n, members in busy.items() if members}:
        listed = "; ".join(f"{n}: {', '.join(members)}" for n, members in in_use.items())
        raise GroupInUse(f"stop these workers first ({listed})")
    return [await rewind_group(settings, name, inputs[name]) for name in names]


async def rewind_group(settings: Settings, name: str, inputs: tuple[str, ...]) -> Rewound:
    group = settings.group_of(name)
    consumer = AIOKafkaConsumer(
        **client_options(settings), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in inputs for p in range(settings.partitions)
        ]
        consumer.assign(partitions)
        first = await consumer.beginning_offsets(partitions)
        committed = {tp: await consumer.committed(tp) for tp in partitions}
        again = sum((committed[tp] or first[tp]) - first[tp] for tp in partitions)
        await consumer.commit({tp: OffsetAndMetadata(first[tp], "") for tp in partitions})
        return Rewound(name, group, len(partitions), again)
    finally:
        await consumer.stop()
