"""scripts/broker, as the test command uses it: idempotent start, truthful status."""

import subprocess
from pathlib import Path

BROKER_SCRIPT = Path(__file__).parents[2] / "scripts" / "broker"


def broker(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(BROKER_SCRIPT), command], capture_output=True, text=True, timeout=120
    )


def test_start_on_a_running_broker_changes_nothing_and_succeeds() -> None:
    before = broker("status")

    again = broker("start")

    assert before.returncode == 0
    assert again.returncode == 0
    assert "already running" in again.stdout
    assert broker("status").stdout == before.stdout  # same pid, same port


def test_an_unknown_command_is_refused_with_usage() -> None:
    refused = broker("restart-everything")

    assert refused.returncode == 2
    assert "usage" in refused.stderr
