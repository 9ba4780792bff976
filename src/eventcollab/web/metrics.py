"""GET /metrics: this worker in Prometheus' text format, whatever services it runs.

Each request builds its families anew from one snapshot per processor (runtime.metrics) in a
registry of its own: nothing is registered globally, so many workers can share a process.

A tracker worker adds its workflows, read from the status counts of the partitions it owns
(eventcollab.index), and the flow map of those partitions (flowmap.series). Both are gauges of
this worker's share: partitions move between workers, so a worker's share can go down. Summed
over the workers they give the whole; /flow/metrics gives the merged map from any one worker
(scrape one or the other, not both into the same sums). Times per step and end to end are the
map's sketches (`eventcollab_flow_edge_hop_seconds`, `eventcollab_flow_node_since_start_seconds`
of the terminal events), kept as the tracker stores each workflow: no observation per event.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from eventcollab import index
from eventcollab.flowmap import declared, series
from eventcollab.flowmap.conformance import marks
from eventcollab.runtime.metrics import Snapshot, snapshot_from
from eventcollab.runtime.processor import Processor
from eventcollab.runtime.worker import Runtime
from eventcollab.web.flow import whole_of
from eventcollab.web.lists import OUTCOMES, STATUSES, owned_stores, stored_count

log = logging.getLogger(__name__)

MapPart = Callable[[], Awaitable[tuple[list[int], Any]]]
# The flow map is made in the tracker's loop, after the unit in progress: a scrape does not wait
# longer than this for it (the rest of the answer does not depend on it).
MAP_SECONDS = 5.0
# A processor's snapshot waits for a turn of its loop; a loop that stopped (the worker is
# leaving) never gives one: the processor is left out of that scrape.
SNAPSHOT_SECONDS = 5.0

RECORDS = (
    ("consumed", "Records taken from the processor's inputs and finished."),
    ("processed", "Records handled (or passed over by type)."),
    ("dead_lettered", "Records sent to the dead letters."),
    ("produced", "Records sent: outputs and dead letters."),
    (
        "passed_over",
        "Records past the state retention horizon that found no state: passed over.",
    ),
)


def processor_families(snapshots: list[Snapshot]) -> Iterator[Metric]:
    labels = ["processor"]
    for what, documentation in RECORDS:
        family = CounterMetricFamily(f"eventcollab_records_{what}", documentation, labels=labels)
        for s in snapshots:
            family.add_metric([s.name], getattr(s.counts, what))
        yield family
    retries = CounterMetricFamily(
        "eventcollab_retries", "Attempts after the first at a record.", labels=labels
    )
    units = CounterMetricFamily(
        "eventcollab_units_stored", "Units of work stored (idle ticks left out).", labels=labels
    )
    unit_seconds = HistogramMetricFamily(
        "eventcollab_unit_seconds",
        "Time from a unit's first record taken to its state stored.",
        labels=labels,
    )
    recovering = GaugeMetricFamily(
        "eventcollab_recovering", "1 while partitions are assigned or restored.", labels=labels
    )
    owned = GaugeMetricFamily(
        "eventcollab_partitions_owned", "Partitions this worker owns.", labels=labels
    )
    removed = CounterMetricFamily(
        "eventcollab_table_entries_removed",
        "Table entries removed once past the state retention horizon.",
        labels=labels,
    )
    for s in snapshots:
        removed.add_metric([s.name], s.counts.removed)
        retries.add_metric([s.name], s.counts.retried)
        units.add_metric([s.name], s.counts.units)
        unit_seconds.add_metric([s.name], s.unit_times.cumulative(), s.unit_times.total)
        recovering.add_metric([s.name], 1 if s.recovering else 0)
        owned.add_metric([s.name], len(s.owned))
    yield from (retries, units, unit_seconds, recovering, owned, removed)
    by_tp = ["processor", "topic", "partition"]
    lag = GaugeMetricFamily(
        "eventcollab_consumer_lag", "Records on the broker not stored yet.", labels=by_tp
    )
    committed = GaugeMetricFamily(
        "eventcollab_committed_offset", "The offset last committed.", labels=by_tp
    )
    keys = GaugeMetricFamily(
        "eventcollab_table_keys",
        "Keys of the processor's tables, per partition.",
        labels=["processor", "partition"],
    )
    for s in snapshots:
        for tp, behind in sorted(s.lag.items()):
            lag.add_metric([s.name, tp.topic, str(tp.partition)], behind)
        for tp, offset in sorted(s.committed.items()):
            committed.add_metric([s.name, tp.topic, str(tp.partition)], offset)
        for number, count in sorted(s.table_keys.items()):
            keys.add_metric([s.name, str(number)], count)
    yield from (lag, committed, keys)


def workflow_families(tracker: Processor) -> Iterator[Metric]:
    """The status counts of the partitions this worker owns (a workflow has one status), and
    the finished workflows that left the table: started and finished count both."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    retired: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
    for store in owned_stores(tracker):
        for status in STATUSES:
            counts[status] += stored_count(store, index.COUNTS, status)
        for outcome in OUTCOMES:
            retired[outcome] += stored_count(store, index.RETIRED, outcome)
    by_status = GaugeMetricFamily(
        "eventcollab_workflows", "Workflows held, by status, on this worker.", labels=["status"]
    )
    for name, count in counts.items():
        by_status.add_metric([name], count)
    left = GaugeMetricFamily(
        "eventcollab_workflows_retired",
        "Finished workflows that left the table past the state retention, on this worker.",
        labels=["outcome"],
    )
    started = GaugeMetricFamily("eventcollab_workflows_started", "Workflows, on this worker.")
    started.add_metric([], sum(counts.values()) + sum(retired.values()))
    finished = GaugeMetricFamily(
        "eventcollab_workflows_finished", "Workflows ended, on this worker.", labels=["outcome"]
    )
    for outcome in sorted(OUTCOMES):
        left.add_metric([outcome], retired[outcome])
        finished.add_metric([outcome], counts[outcome] + retired[outcome])
    yield from (by_status, left, started, finished)


class Families(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


class WorkerMetrics:
    def __init__(self, runtime: Runtime, map_part: MapPart | None = None) -> None:
        self.runtime = runtime
        self.map_part = map_part

    async def families(self) -> list[Metric]:
        snapshots = []
        for processor in self.runtime.processors.values():
            try:
                taken = asyncio.wrap_future(snapshot_from(processor))
                snapshots.append(await asyncio.wait_for(taken, SNAPSHOT_SECONDS))
            except TimeoutError:
                log.warning(
                    "%s: no snapshot in %.0f s; left out of /metrics", processor, SNAPSHOT_SECONDS
                )
        metrics = list(processor_families(snapshots))
        if "tracker" in self.runtime.processors:
            tracker = self.runtime.processor("tracker")
            metrics += workflow_families(tracker)
            if self.map_part is not None and tracker.serving:
                metrics += await self.flow_families()
        return metrics

    async def flow_families(self) -> list[Metric]:
        assert self.map_part is not None
        try:
            _, part = await asyncio.wait_for(self.map_part(), MAP_SECONDS)
        except TimeoutError:
            log.warning("flow map not made in %.0f s; left out of /metrics", MAP_SECONDS)
            return []
        flow = whole_of([part]).flow
        return list(series.families(flow, marks(flow.edges, declared.expected_names())))

    async def get(self, request: web.Request) -> web.Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(Families(await self.families()))
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
