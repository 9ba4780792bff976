"""The tracker's finished workflows leaving its tables past the state retention, by a ticker of
its processor (the rule: eventcollab.retirement).

A workflow leaves with a delete of its state and of its index entry (tombstones on the
changelog, deletes in RocksDB) and a note that takes its share out of the live flow map
(flowmap.live); the counts of a check's leavers change once (their statuses less, their outcomes
more retired). Minutes of `finished_per_minute` past the horizon leave too.

The check runs in the tracker's loop, between units of work, so each one is bounded: per
partition it looks at LOOKED_AT workflows at most, read oldest start first from the status index
of each outcome, and stops at the first start inside the horizon; only those it looks at are
decoded. A partition whose check stopped at the bound is checked again at the next tick rather
than a whole interval later, so a backlog (a retention shortened, or the first check of a full
table) drains at LOOKED_AT workflows per partition and tick.
"""

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


def retire_finished(settings: Settings) -> Ticker:
    """A ticker that checks each partition at most every `state_retention_check_seconds` of
    the times it is given (sooner while a backlog drains)."""
    every = timedelta(seconds=settings.state_retention_check_seconds)
    next_check: dict[int, datetime] = {}

    def check(work: Work, at: datetime) -> None:
        limit = retention.horizon(settings, at)
        if limit is None or at < next_check.get(work.partition, at):
            return
        stopped = retire_workflows(work, limit)
        stopped = retire_minutes(work, limit) or stopped
        next_check[work.partition] = at if stopped else at + every

    return check


def retire_workflows(work: Work, limit: datetime) -> bool:
    """The partition's finished workflows past `limit` out of its tables; True when the check
    stopped at its bound with more to look at."""
    leaving: list[WorkflowState] = []
    looked, stopped = 0, False
    for outcome in sorted(TERMINAL):
        seen, stopped = look_at(work, outcome, limit, LOOKED_AT - looked, leaving)
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
    work: Work, outcome: str, limit: datetime, most: int, leaving: list[WorkflowState]
) -> tuple[int, bool]:
    """Up to `most` workflows of `outcome`, oldest start first, those due added to `leaving`:
    how many it looked at, and whether it stopped at `most` with more to look at."""
    looked = 0
    for key, _ in work.scan(index.BY_STATUS, prefix=f"{outcome}/", backwards=True):
        started_at, correlation_id = index.started_of(key)
        if not retirement.may_be_due(started_at, limit):
            break  # every later key started later still
        if looked >= most:
            return looked, True
        looked += 1
        raw = work.stored(TABLE, correlation_id)
        if raw is None:
            continue
        state = WorkflowState.model_validate_json(raw)
        if retirement.due(state, limit):
            leaving.append(state)
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
