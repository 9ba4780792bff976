"""PURE: the run cut into windows, one per sample: memory, table sizes, lag and latency."""

from itertools import pairwise

from pydantic import BaseModel, ConfigDict

from eventcollab.bench.stats import percentile


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Usage(Frozen):
    """One worker's processes at one moment, from /proc."""

    rss_mib: float
    cpu_s: float


class Scrape(Frozen):
    """What the workers' /metrics said, summed over the workers that answered."""

    table_keys: dict[str, int] = {}  # per table, over its partitions
    lag: dict[str, int] = {}  # per processor, over its partitions
    workflows: int | None = None  # counted by the tracker (eventcollab_workflows), any status
    # Since each worker started, where the workers keep finished state for a retention period:
    retired: int | None = None  # finished workflows that left the tracker's table
    removed: dict[str, int] = {}  # table entries removed, per processor
    passed_over: dict[str, int] = {}  # records that came after their entry had left
    silent: tuple[str, ...] = ()  # workers that did not answer


class Sample(Frozen):
    at_s: float  # since the load started
    placed: int  # orders placed so far
    usage: dict[str, Usage]  # per worker still running
    scrape: Scrape


class Window(Frozen):
    number: int
    start_s: float
    end_s: float
    placed: int
    finished: int  # workflows whose outcome was written in the window
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    rss_mib: dict[str, float]  # per worker, at the window's end
    rss_total_mib: float
    cores: dict[str, float]  # CPU per worker over the window
    table_keys: dict[str, int]
    table_keys_total: int
    workflows: int | None
    lag: int  # records not yet stored, every processor, at the window's end
    retired: int | None  # these three: so far, at the window's end
    removed: int
    passed_over: int


Finish = tuple[float, float]  # (ended at, seconds since the load started; took, ms)


def latency(finished: list[float]) -> dict[str, float | None]:
    if not finished:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(percentile(finished, 0.50), 1),
        "p99_ms": round(percentile(finished, 0.99), 1),
        "max_ms": round(max(finished), 1),
    }


def cores(before: dict[str, Usage], after: dict[str, Usage], seconds: float) -> dict[str, float]:
    """CPU used per second of the window; a worker that restarted in between is left out."""
    return {
        name: round((now.cpu_s - before[name].cpu_s) / seconds, 3)
        for name, now in after.items()
        if name in before and now.cpu_s >= before[name].cpu_s and seconds > 0
    }


def window(number: int, before: Sample, sample: Sample, took: list[float]) -> Window:
    rss = {name: usage.rss_mib for name, usage in sample.usage.items()}
    keys = sample.scrape.table_keys
    return Window(
        number=number,
        start_s=round(before.at_s, 1),
        end_s=round(sample.at_s, 1),
        placed=sample.placed - before.placed,
        finished=len(took),
        **latency(took),
        rss_mib=rss,
        rss_total_mib=round(sum(rss.values()), 1),
        cores=cores(before.usage, sample.usage, sample.at_s - before.at_s),
        table_keys=keys,
        table_keys_total=sum(keys.values()),
        workflows=sample.scrape.workflows,
        lag=sum(sample.scrape.lag.values()),
        retired=sample.scrape.retired,
        removed=sum(sample.scrape.removed.values()),
        passed_over=sum(sample.scrape.passed_over.values()),
    )


def windows_of(samples: list[Sample], finishes: list[Finish]) -> list[Window]:
    """A window between each two samples, the first taken as the load started; a workflow
    belongs to the window in which its outcome was written."""
    ordered = sorted(finishes)
    made, at = [], 0
    for number, (before, sample) in enumerate(pairwise(samples), start=1):
        while at < len(ordered) and ordered[at][0] <= before.at_s:
            at += 1  # ended before the window (none: the load had not started)
        took = []
        while at < len(ordered) and ordered[at][0] <= sample.at_s:
            took.append(ordered[at][1])
            at += 1
        made.append(window(number, before, sample, took))
    return made
