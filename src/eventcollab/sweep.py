"""The services' tables swept of entries past the retention horizon, a slice at each check.

A check reads at most `KEYS_PER_CHECK` entries of each swept table of a partition, from where the
check before stopped, and starts again from the table's first key once it has read the last: a
full pass over a partition of N entries takes N / KEYS_PER_CHECK checks, each
`state_retention_check_seconds` apart. An entry leaves a pass after its time is past the
horizon, so it stays at most the retention period plus a pass.

Only the entry's time is read, off the start of its stored JSON (see `domain.Dated`). An entry
without a time is decoded whole: a restock's ledger entry, kept for good, or an entry stored
before entries had a time, which is stamped with the check's time (the one time kept that is
not an event's) and so leaves a retention period later.
"""

import logging
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from eventcollab.domain import Dated
from eventcollab.retention import horizon, past
from eventcollab.runtime.processor import Ticker
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings

log = logging.getLogger(__name__)

# About 10 ms of the loop for each partition and check on an idle core (2 µs a key).
KEYS_PER_CHECK = 5_000
TIME_FIRST = b'{"last_event_at":"'


def time_of(raw: bytes) -> datetime | None:
    """The time an encoded entry starts with; None when it has none there."""
    if not raw.startswith(TIME_FIRST):
        return None
    end = raw.find(b'"', len(TIME_FIRST))
    try:
        return datetime.fromisoformat(raw[len(TIME_FIRST) : end].decode("ascii"))
    except ValueError:
        return None


class Sweep:
    """A processor's ticker: each check, one slice of each of its dated tables."""

    def __init__(
        self,
        settings: Settings,
        tables: Mapping[str, type[Dated]],
        keys_per_check: int = KEYS_PER_CHECK,
    ) -> None:
        self.settings = settings
        self.tables = dict(tables)
        self.keys_per_check = keys_per_check
        # Per partition and table, the last key read: the next check goes on after it.
        self.cursors: dict[tuple[int, str], str] = {}

    def __call__(self, work: Work, at: datetime) -> None:
        limit = horizon(self.settings, at)
        if limit is None:
            return
        for table, model in self.tables.items():
            where = (work.partition, table)
            last = self.slice(work, table, model, limit, at, self.cursors.get(where))
            if last is None:
                self.cursors.pop(where, None)  # read to the end: from the first key next time
            else:
                self.cursors[where] = last

    def slice(
        self,
        work: Work,
        table: str,
        model: type[Dated],
        limit: datetime,
        at: datetime,
        after: str | None,
    ) -> str | None:
        """Entries after the key `after`, up to the slice's size; the last key read, or None
        once the table's end was reached."""
        read, last = 0, None
        for key, raw in work.scan(table, start=after):
            if key == after:
                continue
            if read == self.keys_per_check or work.full:
                return last
            retire(work, table, key, raw, model, limit, at)
            read, last = read + 1, key
        return None


def retire(
    work: Work, table: str, key: str, raw: bytes, model: type[Dated], limit: datetime, at: datetime
) -> None:
    """Remove the entry if its time is past `limit`; stamp it with `at` if it has none."""
    stamp = time_of(raw)
    if stamp is None:
        try:
            entry = model.model_validate_json(raw)
        except ValidationError:
            log.warning("%s/%s: not a %s; left as it is", table, key, model.__name__)
            return
        if entry.lasting:
            return
        if entry.last_event_at is None:
            work.save(table, key, entry.model_copy(update={"last_event_at": at}))
            return
        stamp = entry.last_event_at
    if past(stamp, limit):
        work.delete(table, key)
        work.removed += 1


def sweeping(settings: Settings, tables: Mapping[str, type[Dated]]) -> Ticker | None:
    """The sweep of these tables; none when entries are kept for ever."""
    if settings.state_retention_hours == -1:
        return None
    return Sweep(settings, tables)
