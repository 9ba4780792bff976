"""How a workflow is shown, to programs (JSON) and people (terminal): one pure function of the
state the tracker stored.

The stored state keeps what happened; the view adds what a reader wants next to it: the time
between steps, how long the workflow has run, and the steps still to come.
"""

from datetime import datetime
from uuid import UUID

from eventcollab.models import Frozen, Order
from eventcollab.workflow import Status, Step, TimelineEntry, WorkflowState, expected_steps


class StepView(Frozen):
    event_type: str
    producer: str
    event_id: UUID
    causation_id: UUID | None
    occurred_at: datetime
    recorded_at: datetime | None  # when the tracker recorded it
    since_previous_ms: float | None  # from the step before it in the timeline (None: the first)
    late: bool = False  # an effect after the cancellation began: undone or refused


class WorkflowView(Frozen):
    correlation_id: str
    status: Status
    waiting_for: Step | None
    expected: tuple[Step, ...]  # from the awaited step to the outcome, if each goes as asked
    order: Order
    started_at: datetime
    duration_ms: float  # from the first step to the latest
    timeline: tuple[StepView, ...]
    reason: str | None = None  # why it was rejected or cancelled
    timed_out: str | None = None  # the step whose deadline passed ("service: action")


def milliseconds(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds() * 1000, 3)


def step_view(entry: TimelineEntry, previous: TimelineEntry | None) -> StepView:
    return StepView(
        event_type=entry.event_type,
        producer=entry.producer,
        event_id=entry.event_id,
        causation_id=entry.causation_id,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        since_previous_ms=milliseconds(entry.occurred_at, previous.occurred_at)
        if previous
        else None,
        late=entry.late,
    )


def present(state: WorkflowState) -> WorkflowView:
    timeline = state.timeline
    steps = tuple(
        step_view(entry, timeline[number - 1] if number else None)
        for number, entry in enumerate(timeline)
    )
    return WorkflowView(
        correlation_id=state.correlation_id,
        status=state.status,
        waiting_for=state.waiting_for,
        expected=expected_steps(state.waiting_for),
        order=state.order,
        started_at=timeline[0].occurred_at,
        duration_ms=milliseconds(timeline[-1].occurred_at, timeline[0].occurred_at),
        timeline=steps,
        reason=state.reason,
        timed_out=state.timed_out,
    )
