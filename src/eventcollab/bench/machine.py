"""What the numbers were measured on: cores, memory, CPU, Python, Kafka."""

import os
import platform
import re
from pathlib import Path
from typing import Any

from eventcollab.crash.broker import ROOT


def first_line(path: str, prefix: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(prefix)), None)


def kafka_version() -> str | None:
    match = re.search(r"<kafka.version>([^<]+)<", (ROOT / "broker" / "pom.xml").read_text())
    return match.group(1) if match else None


def describe() -> dict[str, Any]:
    memory = first_line("/proc/meminfo", "MemTotal")
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.split()[0]) / 1024**2, 1) if memory else None,
        "cpu": first_line("/proc/cpuinfo", "model name"),
        "python": platform.python_version(),
        "kafka": kafka_version(),
        "os": platform.platform(),
    }
