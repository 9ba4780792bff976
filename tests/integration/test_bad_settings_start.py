"""The worker command with a bad setting: it stops at once, saying which and why."""

import os
import subprocess
import sys
from pathlib import Path

EVENTCOLLAB = Path(sys.executable).with_name("eventcollab")


def test_the_worker_command_stops_at_once_with_the_message_and_no_traceback(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTCOLLAB_")}
    env["EVENTCOLLAB_FLOW_STUCK_RATIO"] = "1.5"
    env["EVENTCOLLAB_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [str(EVENTCOLLAB), "worker"], env=env, capture_output=True, timeout=60, check=False
    )
    said = done.stderr.decode()
    assert done.returncode == 1, said
    assert "EVENTCOLLAB_FLOW_STUCK_RATIO='1.5': Input should be less than or equal to 1" in said
    assert "Traceback" not in said
    assert not any(tmp_path.iterdir())  # nothing was started, nothing written
