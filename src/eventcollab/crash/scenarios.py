"""The fault schedules: a short one for CI, and the full one over every deployment shape."""

import asyncio
import time
from collections import Counter

from eventcollab.crash import graceful
from eventcollab.crash.report import Clock, Recovery, say
from eventcollab.crash.run import Run
from eventcollab.settings import SERVICES

SHORT_FAULTS = {"sigterm": 2, "kill-9": 2, "broker-stop": 1}
FULL_FAULTS = {"sigterm": 8, "kill-9": 5, "broker-stop": 1, "service-stop": 1}
SHIPPING_SECONDS = 60.0
WAITING_AT_SHIPPING = 10  # enough workflows seen waiting at shipping to stop looking


# Each schedule starts with the all-in-one worker up and the load running, which goes on
# throughout. Every shape runs on the same topics and state: each processor has its own consumer
# group, so an all-in-one worker and one worker per service take over from each other.


async def short(run: Run) -> None:
    await graceful.restarts(run, ("all", "all"))  # first: judged on a log no kill has touched
    first = await at_random(run, "all")
    await run.kill_soon_after_ready("all", first)
    await run.fleet.settle()
    await run.pause(2, 5)
    await run.broker_outage(10)
    await run.fleet.settle()


async def full(run: Run) -> None:
    await all_in_one(run)
    await one_service_per_worker(run)
    await two_workers_of_one_service(run)
    await run.pause(3, 8)
    await run.broker_outage(30)
    await run.fleet.settle()
    await shipping_stopped(run, SHIPPING_SECONDS)


async def at_random(run: Run, label: str) -> Recovery:
    """Kill -9 at a random moment (possibly while the last restart still drains), restart."""
    waited = await run.pause(3, 8)
    return await run.kill_and_restart(label, f"at a random moment ({waited:.1f} s on)")


async def all_in_one(run: Run) -> None:
    await at_random(run, "all")
    second = await at_random(run, "all")
    await run.kill_soon_after_ready("all", second)
    await run.fleet.settle()


async def one_service_per_worker(run: Run) -> None:
    say("shape: one service per worker")
    await run.fleet.stop("all", "to change the deployment to one service per worker")
    for service in SERVICES:
        run.fleet.add(service)
    await run.fleet.start(*SERVICES, reason="one service per worker")
    # Once every group has caught up after the kills before, and before the kills after.
    await graceful.restarts(run, SERVICES)
    for label in ("payments", "inventory"):
        await at_random(run, label)
        await run.fleet.settle()


async def two_workers_of_one_service(run: Run) -> None:
    say("shape: two workers of tracker and of payments")
    run.fleet.add("tracker", "tracker-2")
    run.fleet.add("payments", "payments-2")
    await run.fleet.start("tracker-2", "payments-2", reason="a second worker of the service")
    await run.fleet.settle()
    await run.pause(3, 8)
    for label in ("tracker", "payments-2"):
        await run.fleet.stop(label, "graceful: the other worker takes its partitions")
    took_over = "took over the stopped workers' partitions"
    survivors = Recovery("tracker-2, payments", took_over, Clock.now())
    run.report.recoveries.append(survivors)
    run.fleet.watch_drain([survivors])
    await run.pause(5, 10)
    await run.fleet.start("tracker", "payments-2", reason="started again after SIGTERM")
    await run.fleet.settle()


async def shipping_stopped(run: Run, seconds: float) -> None:
    """Workflows then wait at shipping, and complete once it is back."""
    await run.fleet.stop("shipping", f"for {seconds:g} s", kind="service-stop")
    began, since = time.monotonic(), len(run.load.placed)
    waiting: list[str] = []
    while time.monotonic() - began < seconds:
        await asyncio.sleep(2.0)
        if len(waiting) < WAITING_AT_SHIPPING:
            recent = [p.correlation_id for p in run.load.placed[since:][-200:]]
            waiting += await run.trackers.waiting_for("shipping", set(recent) - set(waiting))
    run.report.observations["waiting_for_shipping"] = waiting
    say(f"{len(waiting)} workflows seen waiting for shipping")
    await run.fleet.start("shipping", reason=f"started again after {seconds:g} s")
    await run.fleet.settle()


def injected(run: Run) -> Counter[str]:
    return Counter(fault.kind for fault in run.report.faults)
