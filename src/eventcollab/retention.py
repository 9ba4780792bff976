"""Retention: finished workflows, and what each service keeps of them, leave their tables.

A table entry leaves once its newest event is older than the horizon (now minus
`state_retention_hours`); its delete goes to the changelog as a tombstone, so a restore does not
bring it back. Times are the events' own `occurred_at`, never a clock reading of the worker, so a
replay of the same events keeps and removes the same entries.

What keeps a removed entry from coming back: an event older than the horizon whose entry is
absent is passed over (`passed_over`). Every event an entry was made of is at least as old as
its newest event, so a re-delivered one is past the horizon too; an event that finds its entry
still there is decided as always. The price: an event first delivered later than the retention
period after it occurred (a worker down that long) is passed over too, and counted.
"""

from datetime import datetime, timedelta

from eventcollab.settings import Settings


def horizon(settings: Settings, at: datetime) -> datetime | None:
    """Entries whose newest event is older than this leave; None: kept for ever."""
    if settings.state_retention_hours == -1:
        return None
    return at - timedelta(hours=settings.state_retention_hours)


def past(occurred_at: datetime, limit: datetime | None) -> bool:
    """Whether an event or entry of this time is past the horizon `limit`."""
    return limit is not None and occurred_at < limit


def passed_over(occurred_at: datetime, stored: object | None, limit: datetime | None) -> bool:
    """Whether an event finds no entry and is past the horizon: its entry may have been removed,
    and deciding on nothing would redo what the entry remembered."""
    return stored is None and past(occurred_at, limit)
