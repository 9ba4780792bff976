"""latest.json and latest.md of a soak run: what was placed and how it ended, every window, and
the trends of memory, table sizes and latency."""

import json
from pathlib import Path
from typing import Any

from eventcollab.soak.trend import Trend
from eventcollab.soak.verdict import Tally, WorkerEnd
from eventcollab.soak.windows import Frozen, Window


class SoakReport(Frozen):
    started: str
    plan: dict[str, Any]
    described: str
    machine: dict[str, Any]
    run_id: str
    logs: str
    load_s: float  # how long the load actually ran
    tally: Tally
    windows: list[Window]
    trends: list[Trend]
    workers: list[WorkerEnd]
    log_failures: list[str]  # failed units of work and crashes in the workers' logs
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def write(folder: Path, report: SoakReport) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = report.model_dump(mode="json") | {"ok": report.ok}
    (folder / "latest.json").write_text(json.dumps(body, indent=1) + "\n")
    (folder / "latest.md").write_text(markdown(report))


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def named(worker: str) -> str:
    return "the all-in-one worker" if worker == "all" else f"the {worker} worker"


def headline(report: SoakReport) -> list[str]:
    t = report.tally
    outcomes = ", ".join(f"{kind} {number(count)}" for kind, count in t.outcomes.items())
    stops = "; ".join(
        f"{named(w.worker)} stopped in {number(w.stop_s, 1)} s (exit {w.stop_code})"
        for w in report.workers
    )
    verdict = "no failure" if report.ok else "FAILED: " + "; ".join(report.failures)
    last = report.windows[-1] if report.windows else None
    retention = (
        f"By the last window {number(last.retired)} finished workflows had left the tracker, "
        f"{number(last.removed)} table entries were removed, and {number(last.passed_over)} "
        "records came after their entry had left and were passed over."
        if last is not None and last.retired is not None
        else "The workers keep no retention figures (no workflow leaves its table)."
    )
    return [
        f"**{number(t.placed)} orders placed** ({number(t.via_http)} through `POST /orders`, "
        f"{number(t.via_direct)} written straight to `orders`) in {number(report.load_s)} s; "
        f"**{number(t.ended)} ended** ({outcomes}), **{number(t.lost)} lost**. "
        f"Every workflow, OrderPlaced to its outcome: p50 {number(t.p50_ms)} ms, "
        f"p99 {number(t.p99_ms)} ms, max {number(t.max_ms)} ms; the last one ended "
        f"{number(t.drain_s, 1)} s after the load stopped. {retention}",
        "",
        f"{stops[0].upper()}{stops[1:]}. Result: {verdict}.",
    ]


def trend_table(trends: list[Trend]) -> list[str]:
    lines = [
        "| figure | first third | last third | slope per hour | slope per hour, last two thirds |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in trends:
        cells = (t.first_third, t.last_third, t.slope_per_hour, t.late_slope_per_hour)
        lines.append(f"| {t.figure} | " + " | ".join(number(c, 1) for c in cells) + " |")
    return lines


def window_table(windows: list[Window]) -> list[str]:
    workers = sorted({name for w in windows for name in w.rss_mib})
    tables = sorted({name for w in windows for name in w.table_keys})
    rss = [f"RSS MiB {name}" for name in workers] + (["RSS MiB total"] if len(workers) > 1 else [])
    head = ["window", "end", "placed", "ended", "p50 ms", "p99 ms", "max ms", *rss, "CPU cores"]
    head += [f"keys {name}" for name in tables] + ["keys total", "workflows counted", "lag"]
    head += ["retired", "removed", "passed over"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for w in windows:
        row = [str(w.number), clock(w.end_s), number(w.placed), number(w.finished)]
        row += [number(v) for v in (w.p50_ms, w.p99_ms, w.max_ms)]
        row += [number(w.rss_mib.get(name), 1) for name in workers]
        row += [number(w.rss_total_mib, 1)] if len(workers) > 1 else []
        row.append(number(sum(w.cores.values()), 2) if w.cores else "-")
        row += [number(w.table_keys.get(name)) for name in tables]
        row += [number(w.table_keys_total), number(w.workflows), number(w.lag)]
        row += [number(w.retired), number(w.removed), number(w.passed_over)]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def markdown(report: SoakReport) -> str:
    machine = report.machine
    lines = [
        "# Soak run",
        "",
        f"{report.started}: {report.described}. Machine: {machine.get('cores')} cores, "
        f"{machine.get('ram_gib')} GiB, {machine.get('cpu')}; Python {machine.get('python')}, "
        f"Kafka {machine.get('kafka')}. App id {report.run_id}.",
        "",
        *headline(report),
        "",
        "## Over time",
        "",
        "Means over the first and the last third of the windows, and the slope of a straight line "
        "fitted to every window (and to the last two thirds, after the tables first filled). "
        "Table keys are exact counts (`eventcollab_table_keys`, summed over partitions); "
        "workflows counted, the tracker's own count by status (`eventcollab_workflows`); "
        "retired (finished workflows gone from the tracker's table), removed (table entries) "
        "and passed over (records that came after their entry had left), since the workers "
        "started; "
        "latency is of the workflows that ended in each window; RSS is each worker's resident "
        "memory at the window's end.",
        "",
        *trend_table(report.trends),
        "",
        "![memory, table keys and latency over time](latest.png)",
        "",
        "## Windows",
        "",
        *window_table(report.windows),
        "",
    ]
    return "\n".join(lines)
