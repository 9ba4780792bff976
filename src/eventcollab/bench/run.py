"""A whole benchmark run: one private broker, contenders interleaved round after round."""

import asyncio
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventcollab.bench import perf
from eventcollab.bench.contenders import ALL_IN_ONE, Contender
from eventcollab.bench.display import say
from eventcollab.bench.phases import Plan, folder, measure
from eventcollab.bench.profile import profile
from eventcollab.crash.broker import PrivateBroker
from eventcollab.runtime.kafka import declare_topics
from eventcollab.settings import Settings


@dataclass(frozen=True)
class Options:
    rounds: int
    plan: Plan
    contenders: tuple[str, ...]  # ALL_IN_ONE first: its saturation sets the half-load rate
    root: Path  # broker and worker logs
    seed: int
    perf: bool = True  # also Kafka's own perf tests, once, at the end
    rate: float | None = None  # the half-load rate; None: half the first all-in-one saturation
    profile_to: Path | None = None  # where py-spy's samples of the all-in-one worker go


def broker_pid(broker: PrivateBroker) -> int | None:
    pidfile = broker.home / "broker.pid"
    return int(pidfile.read_text()) if pidfile.exists() else None


async def run(options: Options) -> dict[str, Any]:
    """Every round's numbers; the half-load rate is fixed by the first all-in-one saturation.

    SIGTERM cancels the run, so that the contender in progress and the broker are stopped by
    the `finally` blocks as on any failure (an exception raised from a signal handler could
    leave them running).
    """
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    broker = PrivateBroker(options.root / "broker")
    say(f"starting a private broker on {broker.bootstrap} (logs under {options.root})")
    say(await broker.started())
    rounds: list[dict[str, Any]] = []
    rate = options.rate
    began = time.monotonic()
    try:
        for number in range(1, options.rounds + 1):
            say(f"round {number} of {options.rounds}")
            results: dict[str, Any] = {}
            for offset, name in enumerate(options.contenders):
                contender = Contender(name, folder(options.root, number, name), broker.url)
                seed = options.seed + 100 * number + offset
                results[name] = await measure(
                    contender, options.plan, rate, broker_pid(broker), seed
                )
                if name == ALL_IN_ONE and rate is None:
                    rate = results[name]["latency"]["rate"]
            rounds.append({"round": number, "contenders": results})
        kafka = await broker_limit(broker) if options.perf else None
        sampled = await sample(options, broker) if options.profile_to else None
    finally:
        # As the crash suite: no broker and no worker state outlive the run; logs are kept.
        await asyncio.to_thread(broker.remove)
        for data in options.root.glob("round-*/*/data-*"):
            shutil.rmtree(data, ignore_errors=True)
    seconds = round(time.monotonic() - began)
    return {
        "rounds": rounds,
        "half_load_rate": rate,
        "kafka_perf": kafka,
        "profile": sampled,
        "seconds": seconds,
    }


async def sample(options: Options, broker: PrivateBroker) -> dict[str, Any]:
    """One more all-in-one burst under py-spy; a failure is reported, not fatal."""
    assert options.profile_to is not None
    options.profile_to.mkdir(parents=True, exist_ok=True)
    contender = Contender(ALL_IN_ONE, folder(options.root, 0, "profile"), broker.url)
    try:
        return await profile(contender, options.plan, options.profile_to)
    except Exception as error:
        say(f"profiling failed: {error!r}")
        return {"error": repr(error)}


async def broker_limit(broker: PrivateBroker) -> dict[str, Any]:
    """Kafka's perf tools on a topic of the workflow's partition count; an error is reported."""
    settings = Settings.model_construct(broker=broker.url)
    topic = f"bench-perf-{uuid4().hex[:8]}"
    say("the broker's own limit: kafka-producer-perf-test, then kafka-consumer-perf-test")
    try:
        await declare_topics(settings, [topic], [])
        measured = await asyncio.to_thread(perf.measure, broker.bootstrap, topic)
    except Exception as error:  # the rest of the run stands without it
        say(f"Kafka perf tools failed: {error!r}")
        return {"error": repr(error)}
    say(f"broker: {measured['produce']} produced, {measured['consume']} consumed")
    return measured
