"""What the log holds after a run: the orders placed on it and the workflows the tracker keeps."""

import json
from collections import defaultdict
from typing import Any

from aiokafka import TopicPartition

from eventcollab.codec import decode_event
from eventcollab.models import OrderPlaced
from eventcollab.runtime.kafka import read_from_start
from eventcollab.runtime.store import changelog_key

TRACKER_KEY = changelog_key("workflows", "")  # the tracker's table, in its changelog


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
