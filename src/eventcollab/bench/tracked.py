"""When the tracker has recorded a burst, not only when its last OrderCompleted is on the log.

The services can finish a burst while the tracker, which folds every event into the status that
`GET /workflows/{id}` serves, is still seconds behind; a workflow is not done for the people who
ask where their order is until the tracker has it. The tracker has it when its consumer group's
committed offsets reach the end offsets its inputs had once the last OrderCompleted was seen:
a processor commits an offset only after the unit before it was stored.
"""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

POLL_SECONDS = 0.05


async def caught_up(
    bootstrap: str, group: str, topics: list[str], partitions: int, timeout: float
) -> float | None:
    """The monotonic time at which `group` had committed every record that `topics` held when
    this was called; None once `timeout` passed without it."""
    inputs = [TopicPartition(topic, number) for topic in topics for number in range(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        ends = {tp: end for tp, end in (await consumer.end_offsets(inputs)).items() if end > 0}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
            if all(tp in committed and committed[tp].offset >= end for tp, end in ends.items()):
                return time.monotonic()
            await asyncio.sleep(POLL_SECONDS)
        return None
    finally:
        await admin.close()
        await consumer.stop()
