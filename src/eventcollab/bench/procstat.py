"""CPU seconds and RSS (now and at its peak) of process sessions, read from /proc (Linux only)."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return text.rsplit(")", 1)[1].split()


def session_pids(sessions: set[int]) -> list[int]:
    """Every live process in these sessions: a worker and whatever it started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None and int(fields[3]) in sessions:
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def status_mib(pids: list[int], field: str) -> float:
    total_kib = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        total_kib += sum(int(line.split()[1]) for line in lines if line.startswith(field))
    return total_kib / 1024


def peak_rss_mib(pids: list[int]) -> float:
    """The sum of each process's high-water mark of resident memory (VmHWM)."""
    return status_mib(pids, "VmHWM:")


def rss_mib(pids: list[int]) -> float:
    """The sum of each process's resident memory now (VmRSS)."""
    return status_mib(pids, "VmRSS:")
