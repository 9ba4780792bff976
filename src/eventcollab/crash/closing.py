"""The last checks, once the workers have stopped: clean exits, the audit, the worker logs."""

import asyncio
import json
from typing import Any

from eventcollab.crash.logs import scan_logs
from eventcollab.crash.processes import EVENTCOLLAB
from eventcollab.crash.run import Run

AUDIT_SECONDS = 600.0
OUTPUT_LINES = 60


def clean_exits(run: Run) -> None:
    """A SIGTERM must end a worker by itself within 30 s, with exit code 0; SIGKILLs are faults."""
    exits = [
        {"worker": w.label, "how": e.how, "code": e.returncode, "clean": e.clean, "s": e.seconds}
        for w in run.fleet.workers.values()
        for e in w.exits
    ]
    run.report.exits = exits
    unclean = [e for e in exits if not e["clean"]]
    alive = [w.label for w in run.fleet.workers.values() if w.running]
    detail = f"unclean {unclean}, still running {alive}" if unclean or alive else ""
    run.report.check("every worker exited cleanly when stopped", not unclean and not alive, detail)


async def audited(run: Run) -> None:
    """`eventcollab audit --grace 0` on the deployment: every workflow whole and concluded."""
    path = run.options.root / "audit.json"
    command = [str(EVENTCOLLAB), "audit", "--grace", "0", "--json", str(path)]
    process = await asyncio.create_subprocess_exec(
        *command,
        env=run.deployment.env("all"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), AUDIT_SECONDS)
    output = out.decode(errors="replace").splitlines()[-OUTPUT_LINES:]
    body: Any = json.loads(path.read_text()) if path.exists() else None
    result = verdict(process.returncode, body, output)
    run.report.audit = {"result": result, "exit_code": process.returncode, "report": body}
    run.report.audit["output"] = output
    total = sum(body["summary"]["workflows"].values()) if body else None
    run.report.audit["workflows"] = total
    clean = process.returncode == 0 and body is not None and not body.get("anomalies")
    run.report.check("audit clean (eventcollab audit --grace 0)", clean, result)
    placed = run.report.placed.get("total")
    run.report.check(
        "the audit counts the workflows placed", total == placed, f"{total} / {placed}"
    )


def verdict(code: int | None, body: Any, output: list[str]) -> str:
    if body is None:
        return f"no audit report (exit {code}): {' | '.join(output[-5:])}"
    anomalies = body.get("anomalies", [])
    if not anomalies:
        return f"clean: {body['summary']['workflows']}"
    kinds: dict[str, int] = {}
    for anomaly in anomalies:
        kinds[anomaly["kind"]] = kinds.get(anomaly["kind"], 0) + 1
    return f"{len(anomalies)} anomalies {kinds}"


def logs_clean(run: Run) -> None:
    found = scan_logs(list(run.fleet.workers.values()))
    run.report.retries = found.retries
    run.report.tracebacks = found.tracebacks
    run.report.observations["retry_excerpts"] = found.retry_excerpts
    first = found.tracebacks[0] if found.tracebacks else ""
    detail = f"{len(found.tracebacks)} found; the first:\n{first}" if first else ""
    run.report.check("no traceback in worker logs but retried units of work", not first, detail)
    run.report.check(
        "no agent crash in worker logs", not found.crashes, "; ".join(found.crashes[:3])
    )
