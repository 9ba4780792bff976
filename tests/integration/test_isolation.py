"""The fast suite runs with the settings it states, whatever EVENTCOLLAB_* the caller exported."""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).parents[2]


def test_the_fast_suite_passes_with_hostile_settings_in_the_shell() -> None:
    hostile = {
        "EVENTCOLLAB_TRACKER_URL": "http://elsewhere.invalid",
        "EVENTCOLLAB_PARTITIONS": "1",
        "EVENTCOLLAB_PAYMENT_LIMIT": "0.01",
        "EVENTCOLLAB_SERVICE": "shipping",
    }
    env = {**os.environ, **hostile}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/integration/test_web.py",
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:]
