"""`python -m eventcollab.soak`: a steady load on a private broker for a long time, sampled
window by window; exits 1 if an order was lost or a worker failed."""

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from eventcollab.bench.display import say
from eventcollab.crash.broker import ROOT
from eventcollab.soak import charts, report
from eventcollab.soak.plan import (
    Plan,
    default_check_seconds,
    default_retention_minutes,
    default_sample_seconds,
)
from eventcollab.soak.run import run

DOCS = ROOT / "docs" / "soak"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="of load (default 30)")
    parser.add_argument("--rate", type=float, default=50.0, help="orders a second (default 50)")
    parser.add_argument(
        "--sample-seconds",
        type=float,
        help="one window each (default: a thirtieth of the run, from 2 to 30 s)",
    )
    parser.add_argument(
        "--retention-minutes",
        type=float,
        help="how long finished workflows and their records stay (default: a twentieth of the "
        "run, so that they start leaving within its first tenth; 0: the workers' own default)",
    )
    parser.add_argument(
        "--retention-check-seconds",
        type=float,
        help="how often the workers look for them (default: a sixth of the retention, 1-60 s)",
    )
    parser.add_argument(
        "--per-service", action="store_true", help="one worker per service, not the all-in-one"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--terminal-timeout",
        type=float,
        default=300.0,
        help="seconds the last workflows get to end once the load stopped",
    )
    parser.add_argument("--out", type=Path, default=DOCS, help=f"the report (default {DOCS})")
    parser.add_argument("--root", type=Path, help="broker and worker logs (default: a temp folder)")
    return parser.parse_args(argv)


def plan_of(args: argparse.Namespace) -> Plan:
    retention = (
        args.retention_minutes
        if args.retention_minutes is not None
        else default_retention_minutes(args.minutes)
    )
    return Plan(
        minutes=args.minutes,
        rate=args.rate,
        sample_seconds=args.sample_seconds or default_sample_seconds(args.minutes),
        retention_minutes=retention,
        retention_check_seconds=args.retention_check_seconds or default_check_seconds(retention),
        per_service=args.per_service,
        seed=args.seed,
        terminal_seconds=args.terminal_timeout,
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    plan = plan_of(args)
    root = args.root or Path(tempfile.mkdtemp(prefix="eventcollab-soak-"))
    root.mkdir(parents=True, exist_ok=True)
    # The run's own Kafka clients log into a file, not over the progress display.
    logging.basicConfig(filename=root / "clients.log", level=logging.WARNING)
    try:
        soaked = asyncio.run(run(plan, root))
    except asyncio.CancelledError:
        say(f"stopped by SIGTERM; the broker and the workers were stopped (logs in {root})")
        return 143
    report.write(args.out, soaked)
    charts.draw(soaked, args.out / "latest.png")
    print("\n".join([*report.headline(soaked), "", *report.trend_table(soaked.trends)]))
    say(f"report in {args.out} (logs in {root}), at {time.strftime('%H:%M')}")
    return 0 if soaked.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
