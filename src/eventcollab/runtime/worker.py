"""The processors of one worker, each with its own producer, started and stopped in order."""

import asyncio
import gc
from typing import Any

from mode import Service

from eventcollab.runtime.health import Heartbeat
from eventcollab.runtime.kafka import declare_topics, new_producer
from eventcollab.runtime.processor import Processor, ProcessorSpec
from eventcollab.settings import Settings

READY = "eventcollab ready:"


def collect_garbage_less() -> None:
    """Fewer, cheaper garbage collections once the worker is up.

    A unit of work allocates hundreds of short-lived models; with CPython's default threshold
    (700) the young generation is collected several times a unit and survivors are promoted, so
    full collections keep traversing the libraries' objects. Freezing what exists at start and
    collecting the young generation every 20,000 allocations cut the worker's CPU per workflow
    by about a tenth at saturation in the benchmark.
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)


class Runtime(Service):
    def __init__(
        self, settings: Settings, specs: list[ProcessorSpec], topics: list[str], **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.settings = settings
        self.topics = topics
        self.processors = {spec.name: Processor(spec, settings) for spec in specs}
        self.url = settings.local_url  # where this worker's web server answers; set before start
        # Beaten by the worker's event loop from its first start (see app.WorkflowApp).
        self.heartbeat = Heartbeat(settings.health_stale_seconds)
        self.declared = False

    async def declare(self) -> None:
        """The topics and changelogs, with their partition counts: before anything is sent to
        them, or a broker that creates topics on first use would give them its default."""
        if not self.declared:
            changelogs = [p.changelog for p in self.processors.values() if p.changelog]
            await declare_topics(self.settings, self.topics, changelogs)
            self.declared = True

    async def on_start(self) -> None:
        await self.declare()
        for processor in self.processors.values():
            # A producer each: aiokafka keeps one produce request in flight per connection, so
            # processors sharing one waited for each other's acknowledgements (p50 at 600
            # orders/s: about 1 s shared, 0.5 s with one each).
            producer = new_producer(self.settings)
            await producer.start()
            processor.url = self.url
            await processor.use(producer).start()
        collect_garbage_less()

    async def ready(self) -> None:
        """Until every processor has its first assignment and has restored its state."""
        await asyncio.gather(*(p.ready.wait() for p in self.processors.values()))

    async def on_stop(self) -> None:
        # Processors first: each finishes and commits its unit of work, which needs its producer.
        # Only those that started: a start refused by the broker stops before the first.
        for processor in self.processors.values():
            if not processor.started:
                continue
            await processor.stop()
            await processor.producer.stop()

    def processor(self, name: str) -> Processor:
        return self.processors[name]
