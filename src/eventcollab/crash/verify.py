"""After the faults: every order placed is on the log, concluded, tracked once, stock exact."""

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

import aiohttp

from eventcollab.crash.drain import lags, until_drained
from eventcollab.crash.records import orders_on_log, tracked
from eventcollab.crash.report import RunReport
from eventcollab.crash.run import Run
from eventcollab.crash.scenarios import FULL_FAULTS, SHORT_FAULTS, injected
from eventcollab.crash.trackers import TERMINAL

CAUGHT_UP_SECONDS = 120.0
SOON_AFTER_READY = 2.0


def sample(ids: Iterable[str], count: int = 5) -> str:
    listed = sorted(ids)
    return ", ".join(listed[:count]) + (
        f" and {len(listed) - count} more" if len(listed) > count else ""
    )


async def stop_load(run: Run) -> None:
    left = await run.load.stop()
    counts = run.load.counts
    run.report.placed = {**run.load.tally(), "http_unanswered": len(run.load.unanswered)}
    run.report.observations["load"] = dict(counts)
    refused = counts["placement_errors"] + counts["http_422"]
    detail = f"{left} never acknowledged, {refused} failed or refused; attempts {dict(counts)}"
    run.report.check("every placement acknowledged by the broker", not left and not refused, detail)


async def reconcile(run: Run) -> set[str]:
    """The orders placed: acknowledged, or unanswered POSTs whose order the log shows."""
    bootstrap, partitions = run.broker.bootstrap, run.settings.partitions
    on_log = await orders_on_log(bootstrap, run.topics.orders, partitions)
    acked = {p.correlation_id for p in run.load.placed}
    found = {cid for tag in run.load.unanswered for cid in on_log.get(tag, ())}
    placed = acked | found
    logged = {cid for cids in on_log.values() for cid in cids}
    run.report.placed.update(total=len(placed), http_unanswered_on_log=len(found))
    lost, unexplained = acked - logged, logged - placed
    run.report.check("every acknowledged order is on the log", not lost, sample(lost))
    run.report.check("every order on the log was placed", not unexplained, sample(unexplained))
    twice = [tag for tag, cids in on_log.items() if len(cids) > 1]
    run.report.check("one workflow per placement", not twice, sample(twice))
    return placed


def described(correlation_id: str, state: Any) -> str:
    if state is None:
        return f"{correlation_id}: unknown to every tracker"
    steps = [entry["event_type"] for entry in state["timeline"]]
    return f"{correlation_id}: {state['status']}, waiting for {state['waiting_for']}, saw {steps}"


async def concluded(run: Run, placed: set[str]) -> dict[str, Any]:
    states = await run.trackers.until_terminal(placed, run.options.terminal_seconds)
    status = {cid: states.get(cid, {}).get("status", "unknown") for cid in placed}
    run.report.outcomes = dict(Counter(status.values()).most_common())
    running = sorted(cid for cid, s in status.items() if s not in TERMINAL)
    detail = "; ".join(described(cid, states.get(cid)) for cid in running[:5])
    run.report.check("every workflow concluded (tracker)", not running, detail)
    kinds = Counter(status.values())
    every = all(kinds[outcome] > 0 for outcome in TERMINAL)
    run.report.check("completed, rejected and cancelled all occurred", every, str(dict(kinds)))
    return states


async def caught_up(run: Run) -> None:
    drained = await until_drained(run.probe, CAUGHT_UP_SECONDS)
    detail = "" if drained is not None else f"lag {await lags(run.probe)}"
    run.report.check(
        "every processor group committed up to its input's end", drained is not None, detail
    )


async def tracker_holds(run: Run, placed: set[str]) -> None:
    changelog = run.settings.topic_name(f"{run.settings.app_id}-tracker-changelog")
    seen = await tracked(run.broker.bootstrap, changelog, run.settings.partitions)
    run.report.seen_by_tracker = len(seen)
    missing, extra = placed - set(seen), set(seen) - placed
    detail = (
        f"placed {len(placed)}, seen {len(seen)}; missing {sample(missing)}; extra {sample(extra)}"
    )
    run.report.check(
        "orders placed == workflows seen by the tracker", not missing and not extra, detail
    )


async def stock_exact(run: Run, states: dict[str, Any]) -> None:
    """Stock left = restocked minus what completed orders took: nothing doubled, nothing leaked."""
    restocked: dict[str, int] = run.report.stock.get("restocked", {})
    taken: Counter[str] = Counter()
    for state in states.values():
        if state["status"] == "completed":
            for line in state["order"]["lines"]:
                taken[line["sku"]] += line["quantity"]
    expected = {sku: units - taken[sku] for sku, units in restocked.items()}
    urls = run.fleet.urls("all", "inventory")
    available = await stock_levels(urls[0], list(restocked)) if urls else {}
    run.report.stock.update(expected=expected, available=available)
    wrong = {
        sku: (available.get(sku), units)
        for sku, units in expected.items()
        if available.get(sku) != units
    }
    run.report.check(
        "stock exact: restocked minus completed orders", not wrong, f"(found, expected) {wrong}"
    )


async def stock_levels(url: str, skus: list[str], tries: int = 20) -> dict[str, int]:
    levels: dict[str, int] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for _ in range(tries):
            for sku in set(skus) - set(levels):
                async with http.get(f"{url}/stock/{sku}") as response:
                    if response.status == 200:  # 503 while the stock is being restored
                        levels[sku] = (await response.json())["available"]
            if len(levels) == len(skus):
                break
            await asyncio.sleep(1.0)
    return levels


def faults_as_planned(run: Run, report: RunReport) -> None:
    plan = SHORT_FAULTS if run.options.short else FULL_FAULTS
    done = injected(run)
    soon = [s for s in report.observations.get("kill_after_ready_s", []) if s < SOON_AFTER_READY]
    detail = f"planned at least {plan}, injected {dict(done)}; killed soon after ready: {soon}"
    planned = all(done[kind] >= count for kind, count in plan.items()) and bool(soon)
    report.check("faults injected as planned", planned, detail)


def shipping_waited(run: Run, states: dict[str, Any]) -> None:
    if run.options.short:
        return
    waiting: list[str] = run.report.observations.get("waiting_for_shipping", [])
    done = [cid for cid in waiting if states.get(cid, {}).get("status") == "completed"]
    detail = f"{len(waiting)} seen waiting for shipping, {len(done)} of them completed"
    run.report.check(
        "workflows waited at shipping, then completed",
        bool(waiting) and len(done) == len(waiting),
        detail,
    )
