"""One sample of the workers: memory and CPU from /proc, table sizes and lag from /metrics."""

import asyncio
from collections import Counter

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from eventcollab.bench import procstat
from eventcollab.crash.processes import Worker
from eventcollab.soak.windows import Sample, Scrape, Usage

SCRAPE_SECONDS = 15.0
# Summed per processor over partitions and workers.
PER_PROCESSOR = {
    "eventcollab_consumer_lag": "lag",
    "eventcollab_records_passed_over_total": "passed_over",
}
# The tracker's own counts, over its statuses or outcomes.
TRACKER = {"eventcollab_workflows": "workflows", "eventcollab_workflows_retired": "retired"}


def table_of(labels: dict[str, str]) -> str:
    """What a `eventcollab_table_keys` series counts, over its partitions: the processor's
    tables, or one of them where the series carries a further label (`table`) to say which."""
    rest = sorted((k, v) for k, v in labels.items() if k not in ("processor", "partition"))
    return "/".join([labels.get("processor", "?"), *(v for _, v in rest)])


def scrape_of(texts: dict[str, str | None]) -> Scrape:
    """The workers' /metrics answers (None: no answer), summed per table and per processor."""
    keys: Counter[str] = Counter()
    per_processor: dict[str, Counter[str]] = {
        kind: Counter() for kind in ("lag", "passed_over", "removed")
    }
    tracker: dict[str, int] = {}
    for text in texts.values():
        for family in text_string_to_metric_families(text or ""):
            for sample in family.samples:
                name, value = sample.name, int(sample.value)
                if name == "eventcollab_table_keys":
                    keys[table_of(sample.labels)] += value
                elif (kind := kind_of(name)) is not None:
                    per_processor[kind][sample.labels.get("processor", "?")] += value
                elif name in TRACKER:
                    tracker[TRACKER[name]] = tracker.get(TRACKER[name], 0) + value
    return Scrape(
        table_keys=dict(keys),
        lag=dict(per_processor["lag"]),
        workflows=tracker.get("workflows"),
        retired=tracker.get("retired"),
        removed=dict(per_processor["removed"]),
        passed_over=dict(per_processor["passed_over"]),
        silent=tuple(sorted(name for name, text in texts.items() if text is None)),
    )


def kind_of(name: str) -> str | None:
    # The entries removed are `eventcollab_entries_removed_total` for the tracker and
    # `eventcollab_table_entries_removed_total` for the services' tables: either counts.
    if name.endswith("entries_removed_total"):
        return "removed"
    return PER_PROCESSOR.get(name)


def usage(worker: Worker) -> Usage | None:
    """RSS now and CPU so far of the worker's processes; None once it has exited."""
    if worker.process is None or not worker.running:
        return None
    pids = procstat.session_pids({worker.process.pid})
    return Usage(rss_mib=round(procstat.rss_mib(pids), 1), cpu_s=procstat.cpu_seconds(pids))


async def metrics_text(http: aiohttp.ClientSession, worker: Worker) -> str | None:
    try:
        async with http.get(f"{worker.url}/metrics") as response:
            return await response.text() if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


async def sample(
    http: aiohttp.ClientSession, workers: list[Worker], at_s: float, placed: int
) -> Sample:
    answers = await asyncio.gather(*(metrics_text(http, worker) for worker in workers))
    texts = {worker.label: text for worker, text in zip(workers, answers, strict=True)}
    used = {worker.label: usage(worker) for worker in workers}
    return Sample(
        at_s=round(at_s, 2),
        placed=placed,
        usage={name: found for name, found in used.items() if found is not None},
        scrape=scrape_of(texts),
    )


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SCRAPE_SECONDS))
