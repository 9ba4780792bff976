"""The processors of one worker with the producer they share, started and stopped in order."""

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from eventcollab.runtime.kafka import declare_topics, new_producer
from eventcollab.runtime.processor import Processor, ProcessorSpec
from eventcollab.settings import Settings

log = logging.getLogger(__name__)

READY = "eventcollab ready:"


class Runtime(Service):
    producer: AIOKafkaProducer  # made at start, inside the running event loop

    def __init__(
        self, settings: Settings, specs: list[ProcessorSpec], topics: list[str], **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.settings = settings
        self.topics = topics
        self.processors = {spec.name: Processor(spec, settings) for spec in specs}

    async def on_start(self) -> None:
        changelogs = [p.changelog for p in self.processors.values() if p.changelog]
        await declare_topics(self.settings, self.topics, changelogs)
        self.producer = new_producer(self.settings)
        await self.producer.start()
        for processor in self.processors.values():
            await processor.use(self.producer).start()
        self.add_future(self.announce_ready())

    async def announce_ready(self) -> None:
        await asyncio.gather(*(p.ready.wait() for p in self.processors.values()))
        log.info("%s %s assigned and restored", READY, ", ".join(self.processors) or "nothing")

    async def on_stop(self) -> None:
        # Processors first: each finishes and commits its unit of work, which needs the producer.
        for processor in self.processors.values():
            await processor.stop()
        await self.producer.stop()

    def processor(self, name: str) -> Processor:
        return self.processors[name]
