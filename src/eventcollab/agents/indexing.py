"""The tracker's index (eventcollab.index) kept next to its workflows, in the same unit of work."""

from eventcollab import index
from eventcollab.runtime.work import Work


def reindex(work: Work, change: index.IndexChange) -> None:
    if change.removed is not None:
        work.delete(index.BY_STATUS, change.removed)
    if change.added is not None:
        work.save(index.BY_STATUS, *change.added)
    for status, delta in change.counts.items():
        count(work, index.COUNTS, status, delta)
    if change.finished_minute is not None:
        count(work, index.FINISHED, change.finished_minute, 1)


def unindex(work: Work, retirement: index.Retirement) -> None:
    for key in retirement.removed:
        work.delete(index.BY_STATUS, key)
    for status, delta in retirement.counts.items():
        count(work, index.COUNTS, status, delta)
    for outcome, more in retirement.retired.items():
        count(work, index.RETIRED, outcome, more)


def count(work: Work, table: str, key: str, delta: int) -> None:
    current = work.load(table, key, index.Count)
    work.save(table, key, index.Count(count=(current.count if current else 0) + delta))
