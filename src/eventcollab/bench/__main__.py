"""`python -m eventcollab.bench`: eventcollab against a raw pipeline; JSON, Markdown, charts."""

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from eventcollab.bench import charts, report
from eventcollab.bench.contenders import NAMES
from eventcollab.bench.display import say
from eventcollab.bench.machine import describe
from eventcollab.bench.phases import Plan
from eventcollab.bench.run import Options, run
from eventcollab.crash.broker import ROOT, stop_on_sigterm

DOCS = ROOT / "docs" / "benchmarks"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every contender")
    parser.add_argument("--orders", type=int, default=10_000, help="orders of a saturation burst")
    parser.add_argument("--latency-seconds", type=float, default=20.0, help="of the half load")
    parser.add_argument("--status-seconds", type=float, default=10.0, help="of status queries")
    parser.add_argument("--smoke", action="store_true", help="1 round, 100 orders, a temp folder")
    parser.add_argument("--out", type=Path, help=f"where results go (default {DOCS})")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def options_of(args: argparse.Namespace, root: Path) -> Options:
    smoke = args.smoke
    plan = Plan(
        orders=100 if smoke else args.orders,
        warmup=20 if smoke else 100,
        latency_seconds=3.0 if smoke else args.latency_seconds,
        status_seconds=2.0 if smoke else args.status_seconds,
        status_rate=200.0,
        timeout=60.0 if smoke else 300.0,
    )
    rounds = 1 if smoke else args.rounds
    return Options(rounds, plan, NAMES, root, args.seed, perf=not smoke)


def main(argv: list[str]) -> int:
    args = parse(argv)
    stop_on_sigterm()
    root = Path(tempfile.mkdtemp(prefix="eventcollab-bench-"))
    out = args.out or (root / "results" if args.smoke else DOCS)
    options = options_of(args, root)
    outcome = asyncio.run(run(options))
    settings = dataclasses.asdict(options.plan) | {"rounds": options.rounds, "smoke": args.smoke}
    data = report.assemble(outcome, describe(), settings)
    report.write(out, data)
    charts.draw(data, out)
    print(report.markdown(data), flush=True)
    say(f"results in {out} (logs in {root}); {outcome['seconds']} s, at {time.strftime('%H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
