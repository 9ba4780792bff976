"""The short crash suite as CI runs it: own broker, two graceful restarts, kill -9 twice, a broker
restart, an audit."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).parents[2]
TERMINAL = {"completed", "rejected", "cancelled"}


def short_suite(folder: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = folder / "report.json"
    command = [sys.executable, "-m", "eventcollab.crash", "--short"]
    command += ["--root", str(folder / "runs"), "--report", str(report)]
    done = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=540, check=False
    )
    return done, json.loads(report.read_text()) if report.exists() else {}


@pytest.mark.timeout(600)
def test_the_short_crash_suite_loses_no_workflow_and_doubles_no_effect(tmp_path: Path) -> None:
    done, report = short_suite(tmp_path)

    # The suite's own summary says what failed; its worker logs stay under tmp_path.
    assert done.returncode == 0, done.stdout[-15_000:] + done.stderr[-5_000:]
    [run] = report["runs"]
    assert run["ok"] and run["failures"] == []
    assert run["placed"]["total"] >= 300
    assert set(run["outcomes"]) == TERMINAL  # every workflow concluded, each outcome occurred
    assert sum(run["outcomes"].values()) == run["placed"]["total"]
    assert run["placed"]["total"] == run["seen_by_tracker"]
    assert run["audit"]["exit_code"] == 0 and run["audit"]["report"]["anomalies"] == []
    assert {fault["kind"] for fault in run["faults"]} == {"sigterm", "kill-9", "broker-stop"}
    # The graceful restarts, judged over their own records: nothing redone, nothing lost.
    graceful = run["graceful"]
    assert [stop["code"] for stop in graceful["stops"]] == [0, 0]
    assert graceful["twice"] == {} and graceful["written_again"] == {}
    assert sum(graceful["records"].values()) > 0 and sum(graceful["changelogs"].values()) > 0
    assert graceful["orders"] > 0 and graceful["concluded"] == graceful["orders"]
