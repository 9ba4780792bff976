"""Where the all-in-one worker's CPU goes at saturation, sampled by py-spy during a burst.

The samples (collapsed stacks) are kept as profile.txt; the report shows each sample's share by
what it was doing, judged from the innermost frame outwards, and the busiest functions.
"""

import asyncio
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from eventcollab.bench.contenders import ALL_IN_ONE, Contender
from eventcollab.bench.display import say
from eventcollab.bench.phases import Plan, Session

SECONDS = 8
RATE_HZ = 100
# What a sample was doing: the first marker found from the innermost frame outwards.
KINDS = (
    ("decode events (pydantic)", ("decode_event", "decode_stock_command", "decoded (")),
    (
        "load state (RocksDB get, pydantic)",
        ("load (eventcollab/runtime/work", "get (eventcollab/runtime/store"),
    ),
    ("store state (RocksDB write)", ("write (eventcollab/runtime/store",)),
    ("encode events and states (pydantic)", ("encode (eventcollab/codec",)),
    ("decide (domain, workflow fold)", ("eventcollab/domain", "eventcollab/workflow.py")),
    ("consume (aiokafka fetcher)", ("aiokafka/consumer/fetcher", "getmany")),
    ("commit offsets (aiokafka)", ("group_coordinator", "commit_offsets")),
    ("produce (aiokafka sender, batches)", ("aiokafka/producer", "publish.py", "aiokafka/conn")),
)
OTHER = "garbage collection, logging, event loop"


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


async def profile(contender: Contender, plan: Plan, out: Path) -> dict[str, Any]:
    """Start the all-in-one worker, warm it up, and sample it through a saturation burst."""
    assert contender.name == ALL_IN_ONE
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy is not installed"}
    await contender.start()
    session = Session(contender, plan, random.Random(7))
    await session.feeder.start()
    await session.completions.start()
    try:
        await session.warm_up()
        [pid] = contender.sessions
        samples = out / "profile.txt"
        args = [spy, "record", "-p", str(pid), "-d", str(SECONDS), "-r", str(RATE_HZ)]
        sampler = subprocess.Popen(
            [*args, "-f", "raw", "-o", str(samples)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        await asyncio.sleep(0.5)  # py-spy attaches
        say("profiling the all-in-one worker through a saturation burst (py-spy)")
        saturation = await session.saturation(None)
        _, error = await asyncio.to_thread(sampler.communicate)
        if sampler.returncode != 0 or not samples.exists():
            return {"error": f"py-spy failed: {error.decode(errors='replace').strip()[-300:]}"}
        return summarize(samples.read_text()) | {"workflows_per_s": saturation["workflows_per_s"]}
    finally:
        await session.completions.stop()
        await session.feeder.stop()
        await contender.stop()


def summarize(collapsed: str) -> dict[str, Any]:
    """Shares by kind of work and the functions with the most samples of their own."""
    kinds: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        kinds[kind_of(frames)] += samples
    share = {name: round(100 * n / total, 1) for name, n in kinds.most_common()} if total else {}
    top = [(name, round(100 * n / total, 1)) for name, n in own.most_common(15)] if total else []
    return {"samples": total, "kinds_percent": share, "top_self_percent": top}


def kind_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in KINDS:
            if any(marker in frame for marker in markers):
                return name
    return OTHER
