"""Step deadlines: when a step an order waits for is overdue; PURE.

The tracker sees every step of every workflow, so it is the one that notices a step past its
deadline. It reports the fact as StepOverdue; the orders service decides what to do about it
(cancel the order, see domain.orders). A step is overdue once per wait: the StepOverdue comes
back to the tracker on `deadlines` and into the workflow's timeline, and its id derives from the
event that started the wait, so a repeated report is the same event.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from eventcollab.domain import Reactions, emitted
from eventcollab.models import StepOverdue, derived_id
from eventcollab.workflow import AUTHORIZE, RESERVE, SCHEDULE, Step, WorkflowState, waiting_since

PRODUCER = "tracker"

# The events that start a wait with a deadline, each the cause (causation_id) of the StepOverdue
# reported when its wait outlasts the deadline (the tests hold this to the reports).
REACTIONS: Reactions = {
    "OrderPlaced": frozenset({"StepOverdue"}),
    "PaymentAuthorized": frozenset({"StepOverdue"}),
    "StockReserved": frozenset({"StepOverdue"}),
}
EMITS = emitted(REACTIONS)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Seconds each step may take, from the event that asked for it."""

    authorize: float
    reserve: float
    schedule: float

    def of(self, step: Step) -> float | None:
        """The step's deadline; the orders service's own steps have none (if it is down, no one
        could cancel the order either)."""
        return {AUTHORIZE: self.authorize, RESERVE: self.reserve, SCHEDULE: self.schedule}.get(step)

    @property
    def shortest(self) -> timedelta:
        return timedelta(seconds=min(self.authorize, self.reserve, self.schedule))


def due_at(state: WorkflowState, deadlines: Deadlines) -> datetime | None:
    """When the step `state` waits for is overdue; None if it has no deadline or was reported."""
    started, step = waiting_since(state), state.waiting_for
    seconds = deadlines.of(step) if step is not None else None
    if started is None or seconds is None:
        return None
    if any(
        e.event_type == "StepOverdue" and e.causation_id == started.event_id for e in state.timeline
    ):
        return None  # reported already
    return started.occurred_at + timedelta(seconds=seconds)


def overdue(state: WorkflowState, deadlines: Deadlines, now: datetime) -> StepOverdue | None:
    """The report that the step `state` waits for is past its deadline, once per wait."""
    due = due_at(state, deadlines)
    started, step = waiting_since(state), state.waiting_for
    if due is None or now < due or started is None or step is None:
        return None
    seconds = deadlines.of(step)
    assert seconds is not None  # a due time comes from a deadline
    return StepOverdue(
        event_id=derived_id(started.event_id, "StepOverdue"),
        correlation_id=state.correlation_id,
        causation_id=started.event_id,
        occurred_at=now,
        producer=PRODUCER,
        order=state.order,
        service=step.service,
        action=step.action,
        waiting_since=started.occurred_at,
        deadline_seconds=seconds,
    )
