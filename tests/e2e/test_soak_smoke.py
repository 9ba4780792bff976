"""A short soak run as CI runs it: own broker, 40 s of orders, a report with every window."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eventcollab.tables import TABLES

REPOSITORY = Path(__file__).parents[2]
SECONDS, WINDOW = 40, 5
OWNERS = {owner for owner, _, _ in TABLES.values()}


def soak(command: list[str]) -> tuple[int, str]:
    """Its exit code and the end of its output. Past the deadline it gets SIGTERM, on which it
    stops its workers and its broker (a SIGKILL would leave them running)."""
    with subprocess.Popen(
        command, cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            output, _ = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            process.terminate()
            output, _ = process.communicate(timeout=50)
    return process.returncode, output[-15_000:]


@pytest.mark.timeout(300)
def test_a_short_soak_reports_every_window_and_ends_every_order(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "eventcollab.soak", "--minutes", str(SECONDS / 60)]
    command += ["--rate", "20", "--sample-seconds", str(WINDOW), "--terminal-timeout", "60"]
    command += ["--out", str(out), "--root", str(tmp_path / "run")]
    code, output = soak(command)

    assert code == 0, output
    report = json.loads((out / "latest.json").read_text())
    assert report["ok"] and report["failures"] == []
    tally = report["tally"]
    assert tally["placed"] > 0 and tally["lost"] == 0
    assert tally["ended"] == tally["placed"] == sum(tally["outcomes"].values())
    assert all(tally["outcomes"][kind] > 0 for kind in ("completed", "rejected", "cancelled"))
    windows = report["windows"]
    assert [w["number"] for w in windows] == list(range(1, SECONDS // WINDOW + 1))
    assert sum(w["placed"] for w in windows) <= tally["placed"]
    assert sum(w["finished"] for w in windows) <= tally["ended"]
    for window in windows:
        assert window["rss_mib"]["all"] > 0, window
        # Every processor that keeps a table reports its size, in every window.
        assert {name.split("/")[0] for name in window["table_keys"]} >= OWNERS, window
    figures = {trend["figure"] for trend in report["trends"]}
    assert {"RSS, MiB, every worker", "table keys, every table", "latency p99, ms"} <= figures
    table = (out / "latest.md").read_text()
    assert all(f"\n| {w['number']} | " in table for w in windows)
    assert (out / "latest.png").stat().st_size > 0
