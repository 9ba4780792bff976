"""`python -m eventcollab.crash`: run the crash suite; exit 1 on any failure."""

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from eventcollab.crash import report
from eventcollab.crash.broker import stop_on_sigterm
from eventcollab.crash.run import Options
from eventcollab.crash.suite import run_suite

SHORT_WORKFLOWS = 300
FULL_WORKFLOWS = 2000


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="crash-suite",
        description="Workers and a private broker, orders at a steady rate, graceful restarts, "
        "kill -9, broker and service outages; then proves that nothing was lost and nothing "
        "doubled, and that the graceful restarts redid nothing.",
    )
    parser.add_argument("--short", action="store_true", help="the CI suite: all-in-one worker only")
    parser.add_argument(
        "--workflows",
        type=int,
        help=f"at least this many orders (default {SHORT_WORKFLOWS} short, {FULL_WORKFLOWS} full)",
    )
    parser.add_argument("--runs", type=int, default=1, help="run the suite this many times")
    parser.add_argument("--rate", type=float, default=15.0, help="orders per second (default 15)")
    parser.add_argument("--seed", type=int, help="for the orders and fault timing (default: time)")
    parser.add_argument("--report", type=Path, help="JSON report (default: in the run's folder)")
    parser.add_argument("--root", type=Path, help="folder for logs (default: a new temp folder)")
    parser.add_argument(
        "--terminal-timeout",
        type=float,
        default=300.0,
        help="seconds the workflows get to conclude once the load stopped",
    )
    return parser.parse_args(argv)


def options_of(args: argparse.Namespace, root: Path, seed: int) -> Options:
    default = SHORT_WORKFLOWS if args.short else FULL_WORKFLOWS
    return Options(
        workflows=args.workflows or default,
        short=args.short,
        rate=args.rate,
        seed=seed,
        root=root,
        terminal_seconds=args.terminal_timeout,
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    stop_on_sigterm()
    root = args.root or Path(tempfile.mkdtemp(prefix="eventcollab-crash-"))
    root.mkdir(parents=True, exist_ok=True)
    # The suite's own Kafka clients complain loudly while the broker is down: into a file.
    logging.basicConfig(
        filename=root / "clients.log",
        level=logging.WARNING,
        format="[%(asctime)s] [%(levelname)s] %(name)s: %(message)s",
    )
    seed = args.seed if args.seed is not None else int(time.time())
    reports: list[report.RunReport] = []
    for number in range(args.runs):
        options = options_of(args, root / f"run-{number + 1}", seed + number)
        reports.append(asyncio.run(run_suite(options)))
        print(report.summary(reports[-1]), flush=True)
    path = args.report or root / "report.json"
    report.write(path, reports)
    passed = sum(r.ok for r in reports)
    print(f"crash suite: {passed} of {len(reports)} runs passed; report {path}", flush=True)
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
