"""One suite run: its broker, workers, load and report, and the faults that scenarios inject."""

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from eventcollab import topics
from eventcollab.codec import encode
from eventcollab.crash.broker import PrivateBroker
from eventcollab.crash.catalog import Catalog
from eventcollab.crash.drain import LagProbe, lags
from eventcollab.crash.fleet import Fleet
from eventcollab.crash.load import Load
from eventcollab.crash.processes import Deployment
from eventcollab.crash.report import Clock, Recovery, RunReport, say
from eventcollab.crash.trackers import Trackers
from eventcollab.models import AddStock
from eventcollab.settings import Settings

PROGRESS_SECONDS = 10.0


@dataclass(frozen=True)
class Options:
    workflows: int
    short: bool
    rate: float
    seed: int
    root: Path
    session_timeout: float = 6.0
    terminal_seconds: float = 300.0

    @property
    def mode(self) -> str:
        return "short" if self.short else "full"

    @property
    def most_orders(self) -> int:
        """More orders than a run places: a short run takes under 2 minutes, a full one under 15."""
        return max(self.workflows, int(self.rate * (120 if self.short else 900)))


def deployment(options: Options, broker: PrivateBroker) -> Deployment:
    """Fresh app id, topics and data folders on the private broker; small session timeout."""
    root = options.root / "workers"
    root.mkdir(parents=True, exist_ok=True)
    timeout = {"EVENTCOLLAB_SESSION_TIMEOUT": f"{options.session_timeout:g}"}
    run_id = f"crash-{uuid4().hex[:8]}"
    return Deployment(root, run_id=run_id, broker=broker.url, settings=timeout)


class Run:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.report = RunReport(options.mode, options.seed, options.rate, options.workflows)
        self.broker = PrivateBroker(options.root / "broker")
        self.deployment = deployment(options, self.broker)
        run_id = self.deployment.run_id
        # The workers' settings with defaults, not the caller's EVENTCOLLAB_* (they get none).
        self.settings = Settings.model_construct(
            broker=self.broker.url, app_id=run_id, topic_prefix=f"{run_id}-"
        )
        self.topics = topics.declare(self.settings)
        self.probe = LagProbe(self.settings)
        self.fleet = Fleet(self.deployment, self.report, self.probe)
        self.trackers = Trackers(lambda: self.fleet.urls("all", "tracker"))
        self.catalog = Catalog(options.workflows, options.most_orders)
        self.chance = random.Random(options.seed + 1)
        self.load = Load(
            self.broker.bootstrap,
            self.topics.orders,
            options.rate,
            self.catalog,
            self.fleet.orders_url,
            options.seed,
        )
        self.fleet.placed = lambda: len(self.load.placed)
        self.report.run_id, self.report.root = run_id, str(options.root)

    async def pause(self, low: float, high: float) -> float:
        seconds = self.chance.uniform(low, high)
        await asyncio.sleep(seconds)
        return seconds

    async def kill_and_restart(self, label: str, detail: str = "") -> Recovery:
        await self.fleet.kill(label, detail)
        [recovery] = await self.fleet.start(label, reason="restarted after kill -9")
        return recovery

    async def kill_soon_after_ready(self, label: str, recovery: Recovery) -> Recovery:
        """Kill again within 2 s of ready, while the restarted worker re-reads its backlog."""
        ready_at = recovery.at_s + (recovery.start_to_ready_s or 0.0)
        await self.pause(0.2, 1.5)
        after = round(Clock.now() - ready_at, 1)
        self.report.observations.setdefault("kill_after_ready_s", []).append(after)
        return await self.kill_and_restart(label, f"{after:.1f} s after it became ready")

    async def broker_outage(self, seconds: float) -> None:
        """Stop the broker, keep it down, start it again; the workers are left running."""
        self.fleet.interrupt("the broker stopped")
        self.fleet.fault("broker-stop", "broker", f"down for {seconds:g} s")
        await self.broker.stopped()
        await asyncio.sleep(seconds)
        recovery = Recovery("broker", f"started after {seconds:g} s down", Clock.now())
        self.report.recoveries.append(recovery)
        began = time.monotonic()
        say(await self.broker.started())
        recovery.start_to_ready_s = round(time.monotonic() - began, 2)
        self.fleet.watch_drain([recovery])

    async def restock(self) -> None:
        """AddStock commands, acknowledged before any order: they precede every reservation."""
        producer = AIOKafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all")
        await producer.start()
        try:
            restocked: dict[str, int] = {}
            for sku, units in self.catalog.restocks():
                command = AddStock(command_id=uuid4(), sku=sku, quantity=units)
                await producer.send_and_wait(
                    self.topics.stock_commands, encode(command), key=sku.encode()
                )
                restocked[sku] = restocked.get(sku, 0) + units
        finally:
            await producer.stop()
        self.report.stock["restocked"] = restocked
        say(f"restocked {restocked}")

    async def load_until(self, workflows: int) -> None:
        while len(self.load.placed) < workflows:
            await asyncio.sleep(0.5)

    async def progress(self) -> None:
        """A line every few seconds: orders placed so far, and how far behind each group is."""
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            tally = self.load.tally()
            behind = await lags(self.probe)
            prefix = f"{self.settings.app_id}-"
            lag = ", ".join(f"{g.removeprefix(prefix)} {n}" for g, n in behind.items())
            say(
                f"load: {tally['total']} placed ({tally['http']} http, {tally['direct']} direct)"
                f", {len(self.load.pending)} under way; lag: {lag or 'unknown'}"
            )
