"""A real deployment for end-to-end tests: workers as subprocesses on the real local broker."""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from eventcollab.codec import decode_event

# Process management lives in eventcollab.crash.processes, shared with the crash suite; the tests
# keep importing it from here. A worker is ready once its log shows the runtime's READY line.
from eventcollab.crash.processes import EVENTCOLLAB as EVENTCOLLAB
from eventcollab.crash.processes import Deployment as Deployment
from eventcollab.crash.processes import Worker as Worker
from eventcollab.crash.processes import free_port as free_port
from eventcollab.models import Event
from eventcollab.runtime.kafka import read_from_start
from eventcollab.runtime.worker import READY as READY
from eventcollab.workflow import TERMINAL

BROKER = os.environ.get("EVENTCOLLAB_BROKER", "kafka://127.0.0.1:9092")
BOOTSTRAP = BROKER.removeprefix("kafka://")
T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0) -> T:
    """Poll `probe` until it returns something other than None, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"no result within {timeout} s")
        await asyncio.sleep(0.2)


async def place_order(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> str:
    async with http.post(f"{url}/orders", json=body) as response:
        assert response.status == 202, await response.text()
        correlation_id: str = (await response.json())["correlation_id"]
        return correlation_id


async def workflow(http: aiohttp.ClientSession, url: str, correlation_id: str) -> Any:
    async with http.get(f"{url}/workflows/{correlation_id}") as response:
        return await response.json() if response.status == 200 else None


async def outcome(
    http: aiohttp.ClientSession, url: str, correlation_id: str, timeout: float = 60.0
) -> Any:
    """The tracker's JSON for a workflow once it has reached a final status."""

    last: Any = None

    async def concluded() -> Any:
        nonlocal last
        last = await workflow(http, url, correlation_id)
        return last if last and last["status"] in TERMINAL else None

    try:
        return await eventually(concluded, timeout)
    except AssertionError as late:
        seen = [e["event_type"] for e in last["timeline"]] if last else "nothing"
        raise AssertionError(f"{correlation_id} not concluded; the tracker saw {seen}") from late


async def stock(http: aiohttp.ClientSession, url: str, sku: str) -> int:
    async with http.get(f"{url}/stock/{sku}") as response:
        assert response.status == 200, await response.text()
        available: int = (await response.json())["available"]
        return available


async def partitions_of(topic: str) -> set[int]:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        return set(await producer.partitions_for(topic))
    finally:
        await producer.stop()


async def read_topic(name: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on a topic, from the beginning to the current end of each partition."""
    partitions = [TopicPartition(name, p) for p in await partitions_of(name)]
    return await read_from_start(BOOTSTRAP, partitions)


async def events_on(topic: str, correlation_id: str | None = None) -> list[Event]:
    events = [decode_event(record.value) for record in await read_topic(topic)]
    return [e for e in events if correlation_id in (None, e.correlation_id)]


async def partition_counts(*topics: str) -> dict[str, int]:
    return {topic: len(await partitions_of(topic)) for topic in topics}


async def produce(topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()
