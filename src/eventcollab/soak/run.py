"""One soak run: a private broker, the workflow's workers, a steady load, a sample per window."""

import asyncio
import shutil
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from eventcollab import topics
from eventcollab.bench.display import bar, say
from eventcollab.bench.machine import describe
from eventcollab.bench.stats import percentile
from eventcollab.codec import encode
from eventcollab.crash.broker import PrivateBroker
from eventcollab.crash.catalog import Catalog
from eventcollab.crash.load import Load
from eventcollab.crash.processes import Deployment, Worker
from eventcollab.models import AddStock
from eventcollab.settings import Settings
from eventcollab.soak import probe
from eventcollab.soak.ends import Ends, EndsReader
from eventcollab.soak.plan import Plan
from eventcollab.soak.report import SoakReport
from eventcollab.soak.trend import trends
from eventcollab.soak.verdict import failures_of, finishes_of, tally, worker_ends
from eventcollab.soak.windows import Sample, windows_of

# A worker that died leaves its workflows unfinished: wait only this long for the rest.
AFTER_A_DEATH_S = 10.0


@dataclass
class Sampled:
    """The load's run: a sample at its start and one per window, until the end or a death."""

    began_wall: float  # time.time() when the load started: windows count from there
    samples: list[Sample] = field(default_factory=list)
    exited: dict[str, str] = field(default_factory=dict)  # worker -> how, if one exited
    stopped_wall: float = 0.0


async def restock(bootstrap: str, topic: str, catalog: Catalog) -> None:
    """AddStock for the whole run, acknowledged before any order: the scarce SKUs run out at
    once, so that cancellations happen all through the run, not from some point on."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for sku, units in catalog.restocks():
            command = AddStock(command_id=uuid4(), sku=sku, quantity=units)
            sent.append(await producer.send(topic, encode(command), key=sku.encode()))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def exits_of(workers: list[Worker], at_s: float) -> dict[str, str]:
    return {
        w.label: f"exited with code {w.process.returncode if w.process else None} at {at_s:.0f} s"
        for w in workers
        if not w.running
    }


def progress_line(number: int, plan: Plan, before: Sample, sample: Sample, took: list[int]) -> str:
    p99 = f"{percentile([float(t) for t in took], 0.99):.0f}" if took else "-"
    rss = sum(u.rss_mib for u in sample.usage.values())
    keys = sum(sample.scrape.table_keys.values())
    lag = sum(sample.scrape.lag.values())
    return (
        f"window {number}/{plan.windows}: placed {sample.placed - before.placed}, "
        f"ended {len(took)}, p99 {p99} ms, RSS {rss:.0f} MiB, table keys {keys:,}, lag {lag}"
    )


async def under_load(plan: Plan, load: Load, ends: Ends, workers: list[Worker]) -> Sampled:
    async with probe.session() as http:
        await load.start()
        began = time.monotonic()
        sampled = Sampled(began_wall=time.time())
        sampled.samples.append(await probe.sample(http, workers, 0.0, 0))
        seen = len(ends.finishes)
        with bar("soak, seconds of load", round(plan.seconds)) as progress:
            for number in range(1, plan.windows + 1):
                due = began + number * plan.sample_seconds
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                at = time.monotonic() - began
                sample = await probe.sample(http, workers, at, len(load.placed))
                took = [t for _, t in ends.finishes[seen:]]
                seen = len(ends.finishes)
                say(progress_line(number, plan, sampled.samples[-1], sample, took))
                sampled.samples.append(sample)
                progress(round(at))
                sampled.exited = exits_of(workers, at)
                if sampled.exited:
                    say(f"a worker exited, the load stops: {sampled.exited}")
                    break
    sampled.stopped_wall = time.time()
    return sampled


async def until_ended(ends: Ends, placed: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (left := ends.unfinished(placed)) and time.monotonic() < deadline:
        say(f"{len(left)} workflows not ended yet")
        await asyncio.sleep(2.0)


async def run(plan: Plan, root: Path) -> SoakReport:
    """SIGTERM cancels the run, so that the `finally` blocks stop the workers and the broker."""
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    soak = Soak(plan, root)
    say(f"soak: {plan.described()}; a private broker on {soak.broker.bootstrap} (logs in {root})")
    say(await soak.broker.started())
    try:
        return await soak.run()
    finally:
        await asyncio.to_thread(soak.deployment.stop)
        await asyncio.to_thread(soak.broker.remove)
        for data in soak.deployment.root.glob("data-*"):
            shutil.rmtree(data, ignore_errors=True)


class Soak:
    """The run's broker, workers, load and reader of outcomes, on an app id of its own."""

    def __init__(self, plan: Plan, root: Path) -> None:
        self.plan = plan
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.broker = PrivateBroker(root / "broker")
        (root / "workers").mkdir(parents=True, exist_ok=True)
        run_id = f"soak-{uuid4().hex[:8]}"
        self.deployment = Deployment(
            root / "workers", run_id, broker=self.broker.url, settings=plan.worker_settings()
        )
        self.workers = [self.deployment.worker(service) for service in plan.services]
        # The workers' settings with defaults, not the caller's EVENTCOLLAB_* (they get none).
        self.settings = Settings.model_construct(
            broker=self.broker.url, app_id=run_id, topic_prefix=f"{run_id}-"
        )
        self.topics = topics.declare(self.settings)
        self.catalog = Catalog(workflows=1, most=plan.most_orders)
        bootstrap = self.broker.bootstrap
        self.reader = EndsReader(bootstrap, self.topics.orders, self.settings.partitions)
        self.load = Load(
            bootstrap,
            self.topics.orders,
            plan.rate,
            self.catalog,
            lambda: self.deployment.orders_url,
            plan.seed,
            prefix="soak",
        )

    async def run(self) -> SoakReport:
        for worker in self.workers:
            worker.start()
        await asyncio.gather(*(worker.ready() for worker in self.workers))
        await restock(self.broker.bootstrap, self.topics.stock_commands, self.catalog)
        await self.reader.start()
        try:
            sampled = await under_load(self.plan, self.load, self.reader.ends, self.workers)
            say("stopping the load")
            left = await self.load.stop()
            placed = {p.correlation_id for p in self.load.placed}
            wait = AFTER_A_DEATH_S if sampled.exited else self.plan.terminal_seconds
            await until_ended(self.reader.ends, placed, wait)
        finally:
            if self.load.running:
                await self.load.stop(timeout=10)
            await self.reader.stop()
        say("stopping the workers")
        await asyncio.to_thread(self.deployment.stop)
        return self.report(sampled, placed, left)

    def report(self, sampled: Sampled, placed: set[str], left: int) -> SoakReport:
        ends = self.reader.ends
        counted = tally(self.load, ends, placed, left, sampled.stopped_wall)
        stopped = worker_ends(self.workers, sampled.exited)
        crashes = self.deployment.crashes()
        windows = windows_of(sampled.samples, finishes_of(ends, sampled.began_wall))
        return SoakReport(
            started=self.started,
            plan=asdict(self.plan),
            described=self.plan.described(),
            machine=describe(),
            run_id=self.deployment.run_id,
            logs=str(self.deployment.root),
            load_s=round(sampled.stopped_wall - sampled.began_wall, 1),
            tally=counted,
            windows=windows,
            trends=trends(windows),
            workers=stopped,
            log_failures=crashes,
            failures=failures_of(counted, stopped, crashes),
        )
