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
    parser.add_argument("--latency-seconds", type=float, default=15.0, help="of the half load")
    parser.add_argument("--status-seconds", type=float, default=8.0, help="of status queries")
    parser.add_argument("--smoke", action="store_true", help="1 round, 100 orders, a temp folder")
    parser.add_argument("--out", type=Path, help=f"where results go (default {DOCS})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only", action="append", choices=NAMES, help="run only these contenders (repeatable)"
    )
    parser.add_argument("--rate", type=float, help="the half-load rate, instead of measuring it")
    parser.add_argument("--no-perf", action="store_true", help="skip Kafka's perf tools")
    parser.add_argument("--no-restore", action="store_true", help="skip the restore timing")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    return parser.parse_args(argv)


def options_of(args: argparse.Namespace, root: Path, out: Path) -> Options:
    smoke = args.smoke
    plan = Plan(
        orders=100 if smoke else args.orders,
        warmup=20 if smoke else 100,
        latency_seconds=3.0 if smoke else args.latency_seconds,
        status_seconds=2.0 if smoke else args.status_seconds,
        status_rate=200.0,
        timeout=60.0 if smoke else 300.0,
        restore=not args.no_restore,
    )
    rounds = 1 if smoke else args.rounds
    contenders = tuple(name for name in NAMES if not args.only or name in args.only)
    perf = not (smoke or args.no_perf)
    profile_to = None if smoke or args.no_profile else out
    return Options(
        rounds, plan, contenders, root, args.seed, perf=perf, rate=args.rate, profile_to=profile_to
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    stop_on_sigterm()
    root = Path(tempfile.mkdtemp(prefix="eventcollab-bench-"))
    out = args.out or (root / "results" if args.smoke else DOCS)
    options = options_of(args, root, out)
    try:
        outcome = asyncio.run(run(options))
    except asyncio.CancelledError:
        say(f"stopped by SIGTERM; the broker and the contenders were stopped (logs in {root})")
        return 143
    settings = dataclasses.asdict(options.plan) | {"rounds": options.rounds, "smoke": args.smoke}
    data = report.assemble(outcome, describe(), settings)
    report.write(out, data)
    charts.draw(data, out)
    print(report.markdown(data), flush=True)
    say(f"results in {out} (logs in {root}); {outcome['seconds']} s, at {time.strftime('%H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
