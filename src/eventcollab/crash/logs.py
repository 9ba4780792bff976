"""What the worker logs say: retried units of work, and tracebacks that are not retries."""

import re
from dataclasses import dataclass, field

from eventcollab.crash.processes import Worker

RETRY = "unit of work failed"
REWIND = "could not rewind"
TRACEBACK = "Traceback (most recent call last):"
CRASH = "Crashed reason="  # a Faust agent crash
RECORD = re.compile(r"^\[\d{4}-\d\d-\d\d ")  # the start of a log record: [2026-11-27 11:33:01,423]
EXCERPT_LINES = 25


@dataclass
class LogFindings:
    retries: dict[str, int] = field(default_factory=dict)  # label: units of work retried
    retry_excerpts: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)  # not after a retry line: crashes
    crashes: list[str] = field(default_factory=list)


def excerpt(lines: list[str], at: int) -> str:
    """The record at `at` with its traceback, up to the next record."""
    end = at + 1
    while end < len(lines) and end - at < EXCERPT_LINES and not RECORD.match(lines[end]):
        end += 1
    return "\n".join(lines[at:end])


def scan(label: str, text: str, found: LogFindings) -> None:
    lines = text.splitlines()
    record_at = 0
    retries = 0
    for number, line in enumerate(lines):
        if RECORD.match(line):
            record_at = number
            if RETRY in line:
                retries += 1
                if len(found.retry_excerpts) < 3:
                    found.retry_excerpts.append(f"{label}: {excerpt(lines, number)}")
        elif line.startswith(TRACEBACK):
            record = lines[record_at]
            if RETRY not in record and REWIND not in record:
                found.tracebacks.append(f"{label}: {excerpt(lines, record_at)}")
        if CRASH in line:
            found.crashes.append(f"{label}: {line}")
    found.retries[label] = retries


def scan_logs(workers: list[Worker]) -> LogFindings:
    found = LogFindings()
    for worker in workers:
        if worker.log.exists():
            scan(worker.label, worker.log.read_text(errors="replace"), found)
    return found
