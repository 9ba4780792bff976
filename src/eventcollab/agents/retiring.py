"""The tracker's finished workflows leaving its tables past the state retention, by a ticker of
its processor (the rule: eventcollab.retirement).

A workflow leaves with a delete of its state and of its index entry (tombstones on the
changelog, deletes in RocksDB) and a note that takes its share out of the live flow map
(flowmap.live); the counts of a check's leavers change once (their statuses less, their outcomes
more retired). Minutes of `finished_per_minute` past the horizon leave too.

The check runs in the tracker's loop, between units of work, so each one is bounded: per
partition it looks at LOOKED_AT workflows at most, read oldest start first from the status index
of each outcome, and stops at the first start inside the horizon; only those it looks at are
decoded; the next check goes on from where this one left off (`look_at`), past the tombstones
of those that left. A partition whose check stopped at the bound is checked again at the next
tick rather than a whole interval later, so a backlog (a retention shortened, or the first check
of a full table) drains at LOOKED_AT workflows per partition and tick.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eventcollab import index, retention, retirement
from eventcollab.agents.indexing import unindex
from eventcollab.flowmap.live import Left
from eventcollab.runtime.processor import Ticker
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.workflow import TERMINAL, WorkflowState

TABLE = "workflows"
# Each costs a RocksDB read and a decode, and two tombstones if it leaves: a check that removed
# this many took 50 to 240 ms of CPU on a loaded two-core machine, and its changes (133 KB) fit
# one changelog batch (runtime.processor.UNIT_BYTES).
LOOKED_AT = 1_000
FULL_PASS_EVERY = 60  # checks of a partition (an hour at the default interval)


@dataclass
class Place:
    """Where the checks of one partition stand."""

    next_check: datetime | None = None
    checks: int = 0
    # Per outcome, the index key a check starts from: the oldest one the last check left to look
    # at again (see `look_at`); empty for a full pass.
    resume: dict[str, str] = field(default_factory=dict)


def retire_finished(settings: Settings) -> Ticker:
    """A ticker that checks each partition at most every `state_retention_check_seconds` of
    the times it is given (sooner while a backlog drains)."""
    every = timedelta(seconds=settings.state_retention_check_seconds)
    places: dict[int, Place] = {}

    def check(work: Work, at: datetime) -> None:
        limit = retention.horizon(settings, at)
        place = places.setdefault(work.partition, Place())
        if limit is None or (place.next_check is not None and at < place.next_check):
            return
        if place.checks % FULL_PASS_EVERY == 0:
            place.resume.clear()
        place.checks += 1
        stopped = retire_workflows(work, limit, place.resume)
        stopped = retire_minutes(work, limit) or stopped
        place.next_check = at if stopped else at + every

    return check


def retire_workflows(work: Work, limit: datetime, resume: dict[str, str]) -> bool:
    """The partition's finished workflows past `limit` out of its tables; True when the check
    stopped at its bound with more to look at."""
    leaving: list[WorkflowState] = []
    looked, stopped = 0, False
    for outcome in sorted(TERMINAL):
        seen, stopped = look_at(work, outcome, limit, LOOKED_AT - looked, leaving, resume)
        looked += seen
        if stopped:
            break
    for state in leaving:
        work.delete(TABLE, state.correlation_id)
        work.note(state.correlation_id, Left(state))
    unindex(work, index.retired(leaving))
    work.removed += len(leaving)
    return stopped


def look_at(
    work: Work,
    outcome: str,
    limit: datetime,
    most: int,
    leaving: list[WorkflowState],
    resume: dict[str, str],
) -> tuple[int, bool]:
    """Up to `most` workflows of `outcome`, oldest start first from where the last check left
    off, those due added to `leaving`: how many it looked at, and whether it stopped at `most`
    with more to look at.

    The next check starts from the oldest key this one leaves to look at again: the first not
    due, or the first not looked at, else the first start inside the horizon. What lies before
    is tombstones (which RocksDB skips one by one until it compacts them) and nothing else: a
    workflow that ends gets a key by its start, and to land there it must have run longer than
    the retention, which its deadlines do not let it. A full pass every FULL_PASS_EVERY checks
    finds one all the same.
    """
    looked, again = 0, None
    oldest_first = work.scan(
        index.BY_STATUS, prefix=f"{outcome}/", backwards=True, start=resume.get(outcome)
    )
    for key, _ in oldest_first:
        started_at, correlation_id = index.started_of(key)
        if not retirement.may_be_due(started_at, limit):
            break  # every later key started later still
        if looked >= most:
            resume[outcome] = again or key
            return looked, True
        looked += 1
        raw = work.stored(TABLE, correlation_id)
        state = WorkflowState.model_validate_json(raw) if raw is not None else None
        if state is not None and retirement.due(state, limit):
            leaving.append(state)
        else:
            again = again or key
    resume[outcome] = again or index.started_from(outcome, limit)
    return looked, False


def retire_minutes(work: Work, limit: datetime) -> bool:
    """The partition's minutes of finished workflows past `limit` out of `finished_per_minute`,
    oldest first; True when the check stopped at its bound."""
    for looked, (minute, _) in enumerate(work.scan(index.FINISHED)):
        if not retirement.minute_due(minute, limit):
            return False
        if looked == LOOKED_AT or work.full:
            return True
        work.delete(index.FINISHED, minute)
    return False
