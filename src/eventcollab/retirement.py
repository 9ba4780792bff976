"""Which of the tracker's entries leave its tables past the state retention; PURE.

A workflow leaves once it has ended and its newest step occurred before the horizon (see
eventcollab.retention): the timeline keeps every step the tracker took, late ones included, in
order of occurrence, so its last entry is the newest event the workflow was made of. A workflow
still running never leaves, whatever its age: its deadlines end it first.

Candidates are found in the status index, oldest start first: a workflow cannot end before it
started, so none that started inside the horizon can be due (`may_be_due`), and a scan of a
status stops at the first such start.

A minute of `finished_per_minute` leaves once all of it is past the horizon.
"""

from datetime import datetime, timedelta

from eventcollab import index, retention
from eventcollab.workflow import TERMINAL, WorkflowState

MINUTE = timedelta(minutes=1)


def newest(state: WorkflowState) -> datetime:
    return state.timeline[-1].occurred_at


def due(state: WorkflowState, limit: datetime | None) -> bool:
    """Whether the workflow leaves the table at the horizon `limit`."""
    return state.status in TERMINAL and retention.past(newest(state), limit)


def may_be_due(started_at: datetime, limit: datetime | None) -> bool:
    """Whether a workflow that started then can be due: its newest step is no older."""
    return retention.past(started_at, limit)


def minute_due(minute: str, limit: datetime | None) -> bool:
    """Whether every instant of the minute (`YYYY-MM-DDTHH:MM`) is past the horizon."""
    return limit is not None and index.minute_start(minute) + MINUTE <= limit
