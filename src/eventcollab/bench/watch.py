"""The OrderCompleted records on `orders`, read with a plain consumer as they arrive."""

import asyncio
import time
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

# Both contenders write compact JSON (pydantic's to_json, orjson): no decoding needed to spot one.
COMPLETED = b'"event_type":"OrderCompleted"'


class TopicReader:
    """A plain consumer (no group) on every partition of a topic, from its beginning, read by a
    task of its own (`read`) from `start` until `stop`."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self.partitions = [TopicPartition(topic, number) for number in range(partitions)]
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.assign(self.partitions)
        await self.consumer.seek_to_beginning(*self.partitions)
        self.task = asyncio.create_task(self.read(), name=type(self).__name__)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.consumer.stop()

    async def read(self) -> None:
        raise NotImplementedError


class Completions(TopicReader):
    """Arrival time (monotonic, in this process) of each workflow's first OrderCompleted."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        super().__init__(bootstrap, topic, partitions)
        self.arrived: dict[str, float] = {}
        self.waiting: set[str] = set()

    async def read(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            at = time.monotonic()
            for records in batch.values():
                for record in records:
                    if record.key and COMPLETED in (record.value or b""):
                        key = record.key.decode()
                        self.arrived.setdefault(key, at)
                        self.waiting.discard(key)

    async def wait(
        self,
        keys: Iterable[str],
        timeout: float,
        progress: Callable[[int], None],
        alive: Callable[[], bool],
    ) -> int:
        """Wait until every key completed, the timeout passed or the contender died; returns
        how many are missing."""
        self.waiting = {key for key in keys if key not in self.arrived}
        total, deadline = len(self.waiting), time.monotonic() + timeout
        while self.waiting and time.monotonic() < deadline and alive():
            progress(total - len(self.waiting))
            await asyncio.sleep(0.1)
        progress(total - len(self.waiting))
        return len(self.waiting)
