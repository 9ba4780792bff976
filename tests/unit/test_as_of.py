"""Status as of a time: the fold of the steps that had occurred by then, from the stored state."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from builders import (
    at,
    cancelled_path,
    declined_path,
    fold,
    happy_path,
    out_of_stock_path,
    timed_out_path,
    unpaid_timeout_path,
)

from eventcollab.models import Event
from eventcollab.workflow import WorkflowState, as_of

PATHS: list[Callable[[], list[Event]]] = [
    happy_path,
    declined_path,
    out_of_stock_path,
    cancelled_path,
    timed_out_path,
    unpaid_timeout_path,
]
EPSILON = timedelta(milliseconds=1)


def instants(events: list[Event]) -> list[datetime]:
    """Before the first step, exactly at each step, just after it, and half-way to the next."""
    times = sorted({event.occurred_at for event in events})
    found = [times[0] - EPSILON, times[-1] + timedelta(days=1)]
    for this, following in zip(times, [*times[1:], times[-1] + timedelta(seconds=2)], strict=True):
        found += [this, this + EPSILON, this + (following - this) / 2]
    return found


def folded_until(events: list[Event], instant: datetime) -> WorkflowState | None:
    occurred = [event for event in events if event.occurred_at <= instant]
    return fold(occurred) if occurred else None


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_as_of_any_instant_is_the_fold_of_the_events_that_had_occurred_by_then(
    path: Callable[[], list[Event]],
) -> None:
    events = path()
    state = fold(events)

    for instant in instants(events):
        assert as_of(state, instant) == folded_until(events, instant), instant


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.__name__)
def test_as_of_does_not_depend_on_the_order_the_tracker_read_the_events_in(
    path: Callable[[], list[Event]],
) -> None:
    events, shuffler = path(), random.Random(9)
    for _ in range(20):
        read = shuffler.sample(events, len(events))
        state = fold(read)

        for instant in instants(events):
            assert as_of(state, instant) == folded_until(events, instant), instant


def test_before_the_first_step_there_is_no_workflow_yet() -> None:
    events = happy_path()

    assert as_of(fold(events), events[0].occurred_at - EPSILON) is None


def test_a_step_that_occurred_exactly_at_the_instant_is_counted() -> None:
    placed, paid, *_ = happy_path()
    state = fold([placed, paid, *_])

    then = as_of(state, paid.occurred_at)

    assert then is not None
    assert [entry.event_id for entry in then.timeline] == [placed.event_id, paid.event_id]
    assert then.status == "in_progress"
    assert then.waiting_for is not None and then.waiting_for.service == "inventory"


def test_a_step_read_before_its_cause_is_counted_by_when_it_occurred() -> None:
    placed, paid, reserved, scheduled, completed = happy_path()
    state = fold([completed, scheduled, reserved, paid, placed])  # read in reverse

    then = as_of(state, reserved.occurred_at + EPSILON)

    assert then is not None
    assert then.status == "in_progress"
    assert then.waiting_for is not None and then.waiting_for.service == "shipping"
    assert [entry.event_type for entry in then.timeline] == [
        "OrderPlaced",
        "PaymentAuthorized",
        "StockReserved",
    ]


def test_as_of_a_cancellation_under_way_says_why_and_which_deadline_passed() -> None:
    events = timed_out_path()
    state = fold(events)

    before = as_of(state, at(40) - EPSILON)  # the StepOverdue occurred at 40
    cancelling = as_of(state, at(41))  # the OrderCancelling
    cancelled = as_of(state, at(45))  # the OrderCancelled, before the late shipment

    assert before is not None and (before.status, before.reason, before.timed_out) == (
        "in_progress",
        None,
        None,
    )
    assert cancelling is not None and cancelling.status == "compensating"
    assert cancelling.reason is not None and "deadline passed" in cancelling.reason
    assert cancelling.timed_out == "shipping: schedule the shipment"
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.timed_out == "shipping: schedule the shipment"
    assert not any(entry.late for entry in cancelled.timeline)
    assert [entry.event_type for entry in state.timeline if entry.late] == ["ShipmentScheduled"]


def test_as_of_a_rejection_gives_its_reason() -> None:
    events = declined_path()

    then = as_of(fold(events), events[-1].occurred_at)

    assert then is not None and then.status == "rejected"
    assert then.reason == getattr(events[-1], "reason", None)


def test_a_timeline_entry_keeps_the_reason_and_timed_out_step_of_its_event() -> None:
    state = fold(timed_out_path())

    cancelling = next(e for e in state.timeline if e.event_type == "OrderCancelling")
    placed = next(e for e in state.timeline if e.event_type == "OrderPlaced")

    assert cancelling.reason is not None and "deadline passed" in cancelling.reason
    assert cancelling.timed_out == "shipping: schedule the shipment"
    assert (placed.reason, placed.timed_out) == (None, None)


def test_a_state_stored_before_entries_kept_reasons_still_decodes() -> None:
    state = fold(declined_path())
    stored = state.model_dump(mode="json")
    for entry in stored["timeline"]:
        del entry["reason"], entry["timed_out"]

    decoded = WorkflowState.model_validate(stored)

    assert decoded.status == "rejected" and decoded.reason == state.reason
    assert all(entry.reason is None for entry in decoded.timeline)
    then = as_of(decoded, decoded.timeline[-1].occurred_at)
    assert then is not None and then.status == "rejected"
