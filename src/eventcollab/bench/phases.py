"""One contender's round: warm-up, saturation, latency at a fixed rate, status queries."""

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventcollab.agents import tracker
from eventcollab.bench import hops, procstat, tracked
from eventcollab.bench.contenders import ALL_IN_ONE, RAW, Contender
from eventcollab.bench.display import bar, say
from eventcollab.bench.feed import Feeder, orders
from eventcollab.bench.quiet import uncollected
from eventcollab.bench.restore import restore_rate
from eventcollab.bench.stats import quantiles_ms, summary_ms
from eventcollab.bench.status import probe
from eventcollab.bench.watch import Completions

PROBER_START_S = 2.0


@dataclass(frozen=True)
class Plan:
    orders: int  # the saturation burst
    warmup: int
    latency_seconds: float
    status_seconds: float
    status_rate: float
    timeout: float  # for the workflows of one phase to complete
    restore: bool = True  # also time the all-in-one worker's restore from its changelogs


class Session:
    """A started contender with the bench's producer and completion reader on its topics."""

    def __init__(self, contender: Contender, plan: Plan, chance: random.Random) -> None:
        self.contender, self.plan, self.chance = contender, plan, chance
        bootstrap = contender.broker_url.removeprefix("kafka://")
        names = contender.topics
        self.feeder = Feeder(bootstrap, names.orders)
        self.completions = Completions(bootstrap, names.orders, contender.settings.partitions)
        self.stock_commands = names.stock_commands

    def usage(self, broker: int | None) -> tuple[float, float]:
        """CPU seconds so far of the contender's processes and of the broker."""
        mine = procstat.cpu_seconds(procstat.session_pids(self.contender.sessions))
        theirs = procstat.cpu_seconds([broker]) if broker else 0.0
        return mine, theirs

    async def complete(self, label: str, keys: list[str]) -> int:
        with bar(f"{self.contender.name}: {label}", len(keys)) as progress:
            alive = self.contender.alive
            return await self.completions.wait(keys, self.plan.timeout, progress, alive)

    async def warm_up(self) -> None:
        await self.feeder.restock(self.stock_commands)
        batch = orders(self.plan.warmup, self.chance)
        await self.feeder.burst(batch)
        await self.complete("warm-up", [key for key, _ in batch])

    async def saturation(self, broker: int | None) -> dict[str, Any]:
        batch = orders(self.plan.orders, self.chance)
        keys = [key for key, _ in batch]
        cpu, broker_cpu = self.usage(broker)
        own_cpu = time.process_time()  # the feeder and the completion reader
        began = await self.feeder.burst(batch)
        missing = await self.complete("saturation", keys)
        done = [self.completions.arrived[k] for k in keys if k in self.completions.arrived]
        recorded = await self.recorded(max(done)) if done else None
        cpu_after, broker_after = self.usage(broker)
        own_after = time.process_time()
        seconds = max(done) - began if done else 0.0
        # Until the tracker had the burst too (None: it did not within the timeout); the CPU
        # figures count its work up to then.
        whole = max(seconds, recorded - began) if recorded is not None and done else None
        per_1000 = 1000 / max(1, len(done))
        return {
            "orders": len(keys),
            "completed": len(done),
            "missing": missing,
            "seconds": round(seconds, 3),
            "workflows_per_s": round(len(done) / seconds, 1) if seconds else 0.0,
            "recorded_seconds": round(whole, 3) if whole is not None else None,
            "recorded_per_s": round(len(done) / whole, 1) if whole else None,
            "cpu_s": round(cpu_after - cpu, 2),
            "cpu_s_per_1000": round((cpu_after - cpu) * per_1000, 2),
            "broker_cpu_s_per_1000": round((broker_after - broker_cpu) * per_1000, 2),
            # Cores busy during the burst: where the limit is on a small machine.
            "cores": {
                "contender": share(cpu_after - cpu, whole or seconds),
                "broker": share(broker_after - broker_cpu, whole or seconds),
                "bench": share(own_after - own_cpu, whole or seconds),
            },
            "keys": keys,
        }

    async def recorded(self, done_at: float) -> float | None:
        """When the contender's status view had every event of the burst: for eventcollab when
        its tracker did (see bench.tracked; None if not within the timeout); for the raw
        pipeline, whose status map changes with each event it handles, at its last completion."""
        contender = self.contender
        if contender.name == RAW:
            return done_at
        settings = contender.settings
        [spec] = tracker.processors(settings, contender.topics)
        bootstrap = contender.broker_url.removeprefix("kafka://")
        group, inputs = settings.group_of(spec.name), list(spec.inputs)
        return await tracked.caught_up(
            bootstrap, group, inputs, settings.partitions, self.plan.timeout
        )

    async def latency(self, rate: float, seconds: float) -> dict[str, Any]:
        batch = orders(max(1, int(rate * seconds)), self.chance)
        with uncollected():
            scheduled = await self.feeder.paced(batch, rate)
            missing = await self.complete(f"latency at {rate:.0f}/s", list(scheduled))
        arrived = self.completions.arrived
        samples = [arrived[k] - at for k, at in scheduled.items() if k in arrived]
        result: dict[str, Any] = {"rate": round(rate, 1), "orders": len(batch)}
        result |= {"completed": len(samples), "missing": missing, **summary_ms(samples)}
        wall = time.time() - time.monotonic()
        sent = {key: at + wall for key, at in scheduled.items()}
        return result | {"quantiles_ms": quantiles_ms(samples), "sent": sent}

    async def hops(self, sent: dict[str, float]) -> dict[str, Any]:
        """Per-hop latency of the workflows sent at these (epoch) times, from the topics."""
        names, contender = self.contender.topics, self.contender
        workflow_topics = [names.orders, names.payments, names.inventory, names.shipments]
        bootstrap = contender.broker_url.removeprefix("kafka://")
        partitions = contender.settings.partitions
        return await hops.measure(bootstrap, workflow_topics, partitions, sent)

    async def status(self, rate: float, keys: list[str]) -> dict[str, Any]:
        """Status queries while orders keep arriving at `rate` (the half load)."""
        assert self.contender.status_url is not None
        plan = self.plan
        # The load outlasts the queries, whose process takes a moment to start.
        load = asyncio.create_task(self.latency(rate, plan.status_seconds + PROBER_START_S))
        try:
            queries = await probe(
                self.contender.status_url, keys, plan.status_rate, plan.status_seconds
            )
            await load
        finally:
            load.cancel()  # when the queries failed or the run was stopped
        return queries


async def measure(
    contender: Contender, plan: Plan, rate: float | None, broker: int | None, seed: int
) -> dict[str, Any]:
    """Everything measured of one contender in one round. `rate` None: half its saturation."""
    result: dict[str, Any] = {"run_id": contender.run_id}
    try:  # stopped however the round ends, even while it starts (a SIGTERM cancels the run)
        result["start_s"] = round(await contender.start(), 2)
        session = Session(contender, plan, random.Random(seed))
        await session.feeder.start()
        await session.completions.start()
        try:
            await phases_of(session, contender, plan, rate, broker, result)
        finally:
            await session.completions.stop()
            await session.feeder.stop()
    finally:
        result["failures"] = await contender.stop()
    return result


async def phases_of(
    session: Session,
    contender: Contender,
    plan: Plan,
    rate: float | None,
    broker: int | None,
    result: dict[str, Any],
) -> None:
    await session.warm_up()
    result["saturation"] = saturation = await session.saturation(broker)
    keys = saturation.pop("keys")
    say(f"{contender.name}: {saturation['workflows_per_s']} workflows/s at saturation")
    if not contender.saturation_only:
        await under_half_load(session, result, rate or half_load(saturation), keys)
    result["peak_rss_mib"] = round(
        procstat.peak_rss_mib(procstat.session_pids(contender.sessions)), 1
    )
    if contender.name == ALL_IN_ONE and plan.restore:
        result["restore"] = restored = await restore_rate(contender)
        say(f"{contender.name}: restored {restored['records']} records from the changelogs")


async def under_half_load(
    session: Session, result: dict[str, Any], rate: float, keys: list[str]
) -> None:
    """End-to-end latency at `rate`, then status queries at the same load."""
    contender, plan = session.contender, session.plan
    result["latency"] = latency = await session.latency(rate, plan.latency_seconds)
    latency["hops"] = await session.hops(latency.pop("sent"))
    say(f"{contender.name}: p50/p99 {summary(result['latency'])} at {rate:.0f}/s")
    if contender.status_url is not None and plan.status_seconds > 0:
        result["status_query"] = await session.status(rate, keys)


def half_load(saturation: dict[str, Any]) -> float:
    """Half the rate the contender sustains with its status view keeping up: half of what its
    services alone finished would be the whole of what its tracker can record."""
    sustained = saturation.get("recorded_per_s") or saturation["workflows_per_s"]
    return float(sustained) / 2


def share(cpu_seconds: float, seconds: float) -> float:
    return round(cpu_seconds / seconds, 2) if seconds else 0.0


def summary(latency: dict[str, Any]) -> str:
    return f"{latency.get('p50_ms')} / {latency.get('p99_ms')} ms"


def folder(root: Path, round_number: int, name: str) -> Path:
    return root / f"round-{round_number}" / name.replace(" ", "-")
