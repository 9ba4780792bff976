"""What a suite run did and found: progress lines while it runs, a summary and a JSON report."""

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Fault:
    kind: str  # kill-9, sigterm, broker-stop, service-stop
    target: str
    at_s: float  # seconds since the run started
    detail: str = ""
    placed_before: int = 0


@dataclass
class Recovery:
    """A (re)start: seconds from start to the READY line, then until the backlog was drained."""

    target: str
    reason: str
    at_s: float
    start_to_ready_s: float | None = None
    drained_s: float | None = None  # from ready; None while unknown
    drain_note: str = ""


@dataclass
class Stop:
    """A SIGTERM: how long the worker took to exit, and its exit code (None: it had to be
    killed after 30 s)."""

    worker: str
    seconds: float
    code: int | None


@dataclass
class GracefulCase:
    """Workers restarted by SIGTERM only, one after another, under load; judged over the
    records written meanwhile: from the topics' end offsets at its start to those at its end."""

    began_s: float = 0.0
    ended_s: float = 0.0
    stops: list[Stop] = field(default_factory=list)
    starts: dict[str, list[int]] = field(default_factory=dict)  # topic: offset per partition
    ends: dict[str, list[int]] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)  # topic of events or commands: records
    changelogs: dict[str, int] = field(default_factory=dict)  # changelog: records
    twice: dict[str, list[str]] = field(default_factory=dict)  # topic: ids published twice
    written_again: dict[str, list[str]] = field(default_factory=dict)  # changelog: keys
    orders: int = 0  # OrderPlaced within the case
    concluded: int = 0  # of those, terminal at the end of the run


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class RunReport:
    mode: str
    seed: int
    rate: float
    workflows_target: int
    run_id: str = ""
    root: str = ""
    started: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    duration_s: float = 0.0
    placed: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    seen_by_tracker: int = 0
    faults: list[Fault] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)
    stock: dict[str, Any] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)
    exits: list[dict[str, Any]] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    graceful: GracefulCase | None = None
    checks: list[Check] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, ok, detail))
        say(f"check {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        return ok

    @property
    def failures(self) -> list[str]:
        failed = [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]
        return failed + self.errors

    @property
    def ok(self) -> bool:
        return bool(self.checks) and not self.failures

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "failures": self.failures, "ok": self.ok}


class Clock:
    """Seconds since the suite started: the time of every progress line and fault."""

    origin = time.monotonic()

    @classmethod
    def reset(cls) -> None:
        cls.origin = time.monotonic()

    @classmethod
    def now(cls) -> float:
        return round(time.monotonic() - cls.origin, 1)


def say(message: str) -> None:
    print(f"[{Clock.now():7.1f}s] {message}", flush=True)


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def summary(report: RunReport) -> str:
    placed = report.placed
    lines = [
        f"crash suite ({report.mode}, seed {report.seed}, {report.rate:g} orders/s): "
        f"{'PASSED' if report.ok else 'FAILED'} in {report.duration_s:.0f} s",
        f"placed     {placed.get('total', 0)} (http {placed.get('http', 0)}, "
        f"direct {placed.get('direct', 0)}, POSTs without answer "
        f"{placed.get('http_unanswered', 0)} of which on the log "
        f"{placed.get('http_unanswered_on_log', 0)}); seen by the tracker "
        f"{report.seen_by_tracker}",
        "outcomes   " + ", ".join(f"{k} {v}" for k, v in report.outcomes.items()),
        "faults",
        *(f"  {f.at_s:7.1f}s  {f.kind:<12} {f.target:<12} {f.detail}" for f in report.faults),
        "recoveries (start -> READY; READY -> drained: each group within 1 s of its input)",
        *(
            f"  {r.at_s:7.1f}s  {r.target:<12} {seconds(r.start_to_ready_s):>8} "
            f"{seconds(r.drained_s):>8}  {r.reason}{'; ' + r.drain_note if r.drain_note else ''}"
            for r in report.recoveries
        ),
        *graceful_lines(report.graceful),
        f"audit      {report.audit.get('result', 'not run')}",
        "retries    "
        + (", ".join(f"{k} {v}" for k, v in report.retries.items() if v) or "none")
        + " (unit of work failed, read again from the last commit)",
        "checks",
        *(f"  {'ok  ' if c.ok else 'FAIL'} {c.name}  {c.detail}" for c in report.checks),
        *(f"  ERROR {e}" for e in report.errors),
    ]
    return "\n".join(lines)


def graceful_lines(case: GracefulCase | None) -> list[str]:
    if case is None or not case.stops:
        return ["graceful   not run"]
    stops = ", ".join(f"{s.worker} {seconds(s.seconds)} (exit {s.code})" for s in case.stops)
    twice = sum(len(ids) for ids in case.twice.values())
    again = sum(len(keys) for keys in case.written_again.values())
    return [
        f"graceful   {len(case.stops)} restarts by SIGTERM from {case.began_s:.1f} s to "
        f"{case.ended_s:.1f} s; stops {stops}",
        f"           {sum(case.records.values())} events and commands, {twice} published twice; "
        f"{sum(case.changelogs.values())} changelog records, {again} written again; "
        f"orders placed {case.orders}, concluded {case.concluded}",
    ]


def write(path: Path, reports: list[RunReport]) -> None:
    body = {"ok": all(r.ok for r in reports), "runs": [r.as_json() for r in reports]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")
