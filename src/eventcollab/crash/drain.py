"""How far behind each processor's consumer group is, and when a backlog counts as drained."""

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab.replay.from_start import inputs_of
from eventcollab.runtime.kafka import bootstrap
from eventcollab.settings import Settings

WINDOW_SECONDS = 1.0
SAMPLE_SECONDS = 0.25
Ends = dict[str, int]  # per group: the sum of its input partitions' end offsets


def processor_inputs(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Each processor's consumer group and its input topics, as the services declare them."""
    return {settings.group_of(name): inputs for name, inputs in inputs_of(settings).items()}


@dataclass
class Sample:
    at: float
    lag: dict[str, int]
    ends: Ends


class LagProbe:
    """Committed and end offsets of every processor group; reconnects after a broker outage."""

    def __init__(self, settings: Settings) -> None:
        self.bootstrap = bootstrap(settings)
        self.inputs = processor_inputs(settings)
        partitions = range(settings.partitions)
        names = {name for inputs in self.inputs.values() for name in inputs}
        self.partitions = [TopicPartition(name, p) for name in sorted(names) for p in partitions]
        self.clients: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    async def connect(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self.clients is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
            await admin.start()
            await consumer.start()
            self.clients = admin, consumer
        return self.clients

    async def close(self) -> None:
        if self.clients is not None:
            admin, consumer = self.clients
            self.clients = None
            await admin.close()
            await consumer.stop()

    async def sample(self) -> Sample:
        admin, consumer = await self.connect()
        # Commits first, ends after: a commit never passes the end read after it, so no lag < 0.
        committed = {group: await admin.list_consumer_group_offsets(group) for group in self.inputs}
        ends: dict[TopicPartition, int] = await consumer.end_offsets(self.partitions)
        lag: dict[str, int] = {}
        group_ends: Ends = {}
        for group, inputs in self.inputs.items():
            mine = [tp for tp in self.partitions if tp.topic in inputs]
            # No commit on a partition yet: all of it is still to be read (the topics are new).
            done = {
                tp: max(0, committed[group][tp].offset) for tp in mine if tp in committed[group]
            }
            lag[group] = sum(ends[tp] - done.get(tp, 0) for tp in mine)
            group_ends[group] = sum(ends[tp] for tp in mine)
        return Sample(time.monotonic(), lag, group_ends)

    async def safe_sample(self) -> Sample | None:
        try:
            return await asyncio.wait_for(self.sample(), timeout=10)
        except Exception:
            await self.close()  # the broker may have gone: connect again next time
            return None


def within_window(latest: Sample, history: deque[Sample]) -> bool:
    """Every group's lag is at most what its inputs received during the last window."""
    older = [s for s in history if s.at <= latest.at - WINDOW_SECONDS]
    if not older:
        return all(lag == 0 for lag in latest.lag.values())
    before = older[-1]
    return all(lag <= latest.ends[g] - before.ends[g] for g, lag in latest.lag.items())


async def until_drained(probe: LagProbe, timeout: float) -> float | None:
    """Seconds until the processors were drained, or None if they were not within `timeout`.

    Drained: every group `<app id>-<processor>` has committed offsets within what its input
    topics received in the last second (lag = end offsets minus committed offsets, over its
    input partitions). The load goes on meanwhile, so a lag of exactly zero would be luck; once
    no record arrives, as after the load stopped, drained means a lag of zero.
    """
    began = time.monotonic()
    history: deque[Sample] = deque(maxlen=int(4 * WINDOW_SECONDS / SAMPLE_SECONDS))
    while time.monotonic() - began < timeout:
        sample = await probe.safe_sample()
        if sample is not None:
            if within_window(sample, history):
                return sample.at - began
            history.append(sample)
        await asyncio.sleep(SAMPLE_SECONDS)
    return None


async def lags(probe: LagProbe) -> dict[str, int]:
    sample = await probe.safe_sample()
    return sample.lag if sample is not None else {}
