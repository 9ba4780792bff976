"""One sample of the workers: memory and CPU from /proc, table sizes and lag from /metrics."""

import asyncio
from collections import Counter

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from eventcollab.bench import procstat
from eventcollab.crash.processes import Worker
from eventcollab.soak.windows import Sample, Scrape, Usage

SCRAPE_SECONDS = 15.0


def table_of(labels: dict[str, str]) -> str:
    """What a `eventcollab_table_keys` series counts, over its partitions: the processor's
    tables, or one of them where the series carries a further label (`table`) to say which."""
    rest = sorted((k, v) for k, v in labels.items() if k not in ("processor", "partition"))
    return "/".join([labels.get("processor", "?"), *(v for _, v in rest)])


def scrape_of(texts: dict[str, str | None]) -> Scrape:
    """The workers' /metrics answers (None: no answer), summed per table and per processor."""
    keys: Counter[str] = Counter()
    lag: Counter[str] = Counter()
    workflows: int | None = None
    for text in texts.values():
        for family in text_string_to_metric_families(text or ""):
            for sample in family.samples:
                if sample.name == "eventcollab_table_keys":
                    keys[table_of(sample.labels)] += int(sample.value)
                elif sample.name == "eventcollab_consumer_lag":
                    lag[sample.labels["processor"]] += int(sample.value)
                elif sample.name == "eventcollab_workflows":
                    workflows = (workflows or 0) + int(sample.value)
    silent = tuple(sorted(name for name, text in texts.items() if text is None))
    return Scrape(table_keys=dict(keys), lag=dict(lag), workflows=workflows, silent=silent)


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
