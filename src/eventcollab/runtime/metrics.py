"""What a processor shows of itself to monitoring, read in its own event loop.

The processor keeps plain numbers as it goes (runtime.failures.Counts, per stored unit, and the
unit times below); `snapshot` reads them together with what its consumer and store say, between
two units of work but without waiting for the unit in progress, so that a scrape during a long
restore still answers (and says the processor is recovering). The web server, on its own thread
and loop, asks for it with `snapshot_from`: aiokafka's objects belong to the processor's loop.
"""

import asyncio
import bisect
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiokafka import TopicPartition

from eventcollab.runtime.failures import Counts

if TYPE_CHECKING:
    from eventcollab.runtime.processor import Processor

# Seconds from a unit's first record taken to its state stored: a unit is usually a few
# milliseconds of decisions plus one or two broker round trips.
UNIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POSITION_SECONDS = 1.0  # a partition whose position is still being reset has no lag yet


@dataclass
class UnitTimes:
    """A histogram of unit times, observed once per stored unit in the processor's loop."""

    buckets: tuple[float, ...] = UNIT_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(UNIT_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.total += seconds

    def copy(self) -> "UnitTimes":
        return UnitTimes(self.buckets, list(self.counts), self.total)

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound, observations at or under it) as Prometheus writes them, +Inf last."""
        bounds = [*(repr(b) for b in self.buckets), "+Inf"]
        running, out = 0, []
        for bound, count in zip(bounds, self.counts, strict=True):
            running += count
            out.append((bound, running))
        return out


@dataclass(frozen=True)
class Snapshot:
    name: str
    counts: Counts
    unit_times: UnitTimes
    recovering: bool
    owned: frozenset[int]
    lag: dict[TopicPartition, int]  # records on the broker not yet stored, per assigned input
    committed: dict[TopicPartition, int]  # the offsets this processor last committed
    table_keys: dict[int, int]  # the table keys of each owned partition


async def snapshot(processor: "Processor") -> Snapshot:
    owned = frozenset(processor.owned)
    return Snapshot(
        name=processor.spec.name,
        counts=processor.counts,
        unit_times=processor.unit_times.copy(),
        recovering=processor.rebalancing,
        owned=owned,
        lag=await lag_of(processor, owned),
        committed=dict(processor.committed),
        table_keys=table_keys(processor, owned),
    )


async def lag_of(processor: "Processor", owned: frozenset[int]) -> dict[TopicPartition, int]:
    """The highwater of the last fetch minus the offset after the last stored record (or the
    consumer's position when none was stored since the partition came)."""
    consumer = getattr(processor, "consumer", None)  # made when the processor starts
    lag: dict[TopicPartition, int] = {}
    if consumer is None:
        return lag
    for tp in sorted(consumer.assignment()):
        if tp.partition not in owned:
            continue
        try:
            high = consumer.highwater(tp)
        except AssertionError:  # taken away while an earlier position was awaited
            continue
        if high is None:
            continue  # not fetched yet
        at = processor.finished.get(tp)
        if at is None:
            try:
                at = await asyncio.wait_for(consumer.position(tp), POSITION_SECONDS)
            except Exception:  # taken away meanwhile, or its position is being reset
                continue
        lag[tp] = max(0, high - at)
    return lag


def table_keys(processor: "Processor", owned: frozenset[int]) -> dict[int, int]:
    if processor.store is None:
        return {}
    keys = {}
    for number in sorted(owned):
        store = processor.store.opened(number)
        if store is not None:
            keys[number] = store.key_count
    return keys


def snapshot_from(processor: "Processor") -> "asyncio.Future[Snapshot] | Future[Snapshot]":
    """The snapshot, taken in the processor's loop whichever thread asks."""
    loop = processor.running_in
    if loop is None or loop is asyncio.get_running_loop():
        return asyncio.ensure_future(snapshot(processor))
    return asyncio.run_coroutine_threadsafe(snapshot(processor), loop)
