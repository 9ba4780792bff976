"""The benchmark's smoke run: own broker, every contender, a JSON report that adds up."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).parents[2]
SCALE_OUT = {"eventcollab per service x2", "eventcollab per service x4"}
CONTENDERS = {"eventcollab all-in-one", "eventcollab per service", "raw aiokafka", *SCALE_OUT}


@pytest.mark.timeout(480)
def test_the_smoke_benchmark_measures_every_contender(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "eventcollab.bench", "--smoke", "--out", str(tmp_path)]
    done = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=460, check=False
    )

    assert done.returncode == 0, done.stdout[-10_000:] + done.stderr[-5_000:]
    report = json.loads((tmp_path / "latest.json").read_text())
    [round_one] = report["rounds"]
    assert set(round_one["contenders"]) == CONTENDERS
    for name, result in round_one["contenders"].items():
        assert result["failures"] == [], name
        assert result["saturation"]["workflows_per_s"] > 0, name
        assert result["saturation"]["cores"]["contender"] > 0, name
        # Counted until the tracker had the burst: never sooner than the last completion.
        saturation = result["saturation"]
        assert saturation["recorded_seconds"] >= saturation["seconds"] > 0, name
        if name in SCALE_OUT:
            assert "latency" not in result, name  # throughput only
            continue
        latency = result["latency"]
        assert latency["completed"] == latency["orders"], name
        assert latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"], name
    assert "Scale-out" in (tmp_path / "latest.md").read_text()
    assert (tmp_path / "throughput.png").exists() and (tmp_path / "latency.png").exists()
