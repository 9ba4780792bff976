"""Real processors of the app, with a real RocksDB store in a temp folder and fake Kafka clients."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from eventcollab import topics
from eventcollab.app import PROCESSORS
from eventcollab.codec import encode
from eventcollab.models import Event
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.processor import Handler, Processor
from eventcollab.settings import Settings
from tests.integration.fakes import FakeConsumer, FakeProducer, record

PARTITIONS = 4


def settings(data_dir: Path, **changed: Any) -> Settings:
    # The tests' events happened in 2024 (tests.unit.builders): state is kept for ever unless a
    # test asks for a retention.
    given: dict[str, Any] = {"state_retention_hours": -1} | changed
    return Settings(
        app_id="harness",
        data_dir=data_dir,
        partitions=PARTITIONS,
        payment_limit=Decimal("1000"),
        **given,
    )


class Harness:
    """One processor fed record by record, as its consumer would deliver them."""

    def __init__(
        self,
        name: str,
        data_dir: Path,
        producer: FakeProducer | None = None,
        wrap: Callable[[Handler], Handler] | None = None,
        **changed: Any,
    ) -> None:
        self.settings = settings(data_dir, **changed)
        self.names = topics.declare(self.settings)
        [spec] = [
            spec
            for make in PROCESSORS.values()
            for spec in make(self.settings, self.names)
            if spec.name == name
        ]
        if wrap is not None:  # the service's handler, changed by the test
            spec = replace(spec, handler=wrap(spec.handler))
        self.processor = Processor(spec, self.settings)
        self.producer = producer or FakeProducer(auto=True)
        self.processor.use(self.producer)  # type: ignore[arg-type]
        inputs = {TopicPartition(t, p) for t in spec.inputs for p in range(PARTITIONS)}
        self.consumer = FakeConsumer(assigned=inputs)
        self.processor.consumer = self.consumer  # type: ignore[assignment]
        self.processor.owned = set(range(PARTITIONS))
        self.offsets = count()

    def batch(self, topic: str, key: str, *values: bytes) -> dict[TopicPartition, list[Any]]:
        partition = partition_for(key, PARTITIONS)
        records = [record(topic, partition, next(self.offsets), key, v) for v in values]
        return {TopicPartition(topic, partition): records}

    def keyed(self, topic: str, *events: Event) -> dict[TopicPartition, list[Any]]:
        """Each event keyed by its correlation id, on the partition of that key, in order."""
        batch: dict[TopicPartition, list[Any]] = {}
        for event in events:
            key = event.correlation_id
            tp = TopicPartition(topic, partition_for(key, PARTITIONS))
            value = encode(event)
            batch.setdefault(tp, []).append(
                record(tp.topic, tp.partition, next(self.offsets), key, value)
            )
        return batch

    async def feed(self, topic: str, key: str, *values: bytes) -> None:
        await self.processor.process(self.batch(topic, key, *values))
        await self.processor.flush_commits()

    def emitted(self, topic: str) -> list[bytes]:
        return [s.value for s in self.producer.published(topic) if s.value is not None]


async def until(condition: Callable[[], object], turns: int = 200) -> None:
    """Let the event loop run until `condition` holds; fail if it never does."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")
