"""The tracker's fold: status, awaited step and timeline from the events seen for a workflow."""

import random
from collections.abc import Callable

import pytest
from builders import (
    cancelled_path,
    declined_path,
    happy_path,
    out_of_stock_path,
    short_on_second_line,
    timed_out_path,
    unpaid_timeout_path,
)

from eventcollab import workflow
from eventcollab.models import Event
from eventcollab.workflow import Step, WorkflowState


def fold(events: list[Event]) -> WorkflowState:
    state: WorkflowState | None = None
    for event in events:
        state = workflow.apply(state, event) or state
    assert state is not None
    return state


def test_the_happy_path_completes_with_a_timeline_of_every_event() -> None:
    events = happy_path()

    state = fold(events)

    assert state.status == "completed"
    assert state.waiting_for is None
    assert state.correlation_id == events[0].correlation_id
    assert [(t.event_type, t.producer, t.event_id, t.causation_id) for t in state.timeline] == [
        (e.event_type, e.producer, e.event_id, e.causation_id) for e in events
    ]
    assert [t.producer for t in state.timeline] == [
        "orders",
        "payments",
        "inventory",
        "shipping",
        "orders",
    ]


def test_each_step_of_the_happy_path_waits_for_the_next_service() -> None:
    expected = [
        Step(service="payments", action="authorize the payment"),
        Step(service="inventory", action="reserve stock"),
        Step(service="shipping", action="schedule the shipment"),
        Step(service="orders", action="complete the order"),
    ]
    events = happy_path()

    for seen, step in enumerate(expected, start=1):
        state = fold(events[:seen])
        assert (state.status, state.waiting_for) == ("in_progress", step)


def test_a_declined_payment_ends_rejected() -> None:
    events = declined_path()

    assert fold(events[:2]).waiting_for == Step(service="orders", action="reject the order")
    assert (fold(events).status, fold(events).waiting_for) == ("rejected", None)


def test_missing_stock_ends_cancelled_after_a_refund() -> None:
    events = out_of_stock_path()

    assert fold(events[:3]).waiting_for == Step(service="payments", action="refund the payment")
    assert fold(events[:4]).waiting_for == Step(service="orders", action="cancel the order")
    assert (fold(events).status, fold(events).waiting_for) == ("cancelled", None)


def test_an_event_seen_already_is_reported_as_a_duplicate() -> None:
    placed, paid, *_ = happy_path()
    state = workflow.apply(workflow.apply(None, placed), paid)

    assert workflow.apply(state, paid) is None
    assert workflow.apply(state, placed) is None


@pytest.mark.parametrize(
    "path",
    [
        happy_path,
        declined_path,
        out_of_stock_path,
        cancelled_path,
        timed_out_path,
        unpaid_timeout_path,
    ],
)
@pytest.mark.parametrize("seed", range(5))
def test_events_out_of_order_fold_to_the_same_state(
    path: Callable[[], list[Event]], seed: int
) -> None:
    events = path()
    shuffled = events[::-1] if seed == 0 else random.Random(seed).sample(events, len(events))

    state = fold(shuffled)

    assert state == fold(events)
    assert [t.occurred_at for t in state.timeline] == sorted(e.occurred_at for e in events)


def test_a_conclusion_seen_first_already_sets_the_final_status() -> None:
    *_, completed = happy_path()

    state = workflow.apply(None, completed)

    assert state is not None
    assert (state.status, state.waiting_for) == ("completed", None)


def test_two_events_of_one_decision_fold_the_same_in_either_order() -> None:
    released, missing = short_on_second_line()
    assert released.occurred_at == missing.occurred_at

    assert fold([released, missing]) == fold([missing, released])
    assert [t.event_type for t in fold([missing, released]).timeline] == [
        "StockReleased",
        "StockUnavailable",
    ]


def test_a_cancellation_compensates_step_by_step_then_ends_cancelled_with_its_reason() -> None:
    placed, paid, request, cancelling, refunded, released, cancelled = cancelled_path()

    assert fold([placed, paid, request]).status == "in_progress"
    compensating = fold([placed, paid, request, cancelling])
    assert (compensating.status, compensating.waiting_for) == ("compensating", workflow.REFUND)
    assert compensating.reason == "changed my mind"
    refund_done = fold([placed, paid, request, cancelling, refunded])
    assert refund_done.waiting_for == workflow.RELEASE
    both = fold([placed, paid, request, cancelling, refunded, released])
    assert (both.status, both.waiting_for) == ("compensating", workflow.CANCEL)
    final = fold([placed, paid, request, cancelling, refunded, released, cancelled])
    assert (final.status, final.waiting_for, final.reason) == ("cancelled", None, "changed my mind")


def test_a_missed_deadline_names_the_step_and_marks_what_came_after_it_as_late() -> None:
    events = timed_out_path()

    state = fold(events)

    assert state.status == "cancelled"
    assert state.timed_out == "shipping: schedule the shipment"
    assert state.reason is not None and "deadline passed" in state.reason
    late = [entry.event_type for entry in state.timeline if entry.late]
    assert late == ["ShipmentScheduled"]  # reserved before the deadline: not late


def test_an_answer_to_another_cancellation_does_not_count() -> None:
    placed, paid, request, cancelling, refunded, *_ = cancelled_path()
    stray = refunded.model_copy(update={"causation_id": paid.event_id})

    state = fold([placed, paid, request, cancelling, stray])

    assert state.waiting_for == workflow.REFUND
