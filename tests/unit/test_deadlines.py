"""Step deadlines: an order in progress is reported once per wait when its step is overdue."""

from builders import LIMITS, at, authorized, fold, happy_path, order_placed, reserved

from eventcollab import deadlines, workflow
from eventcollab.domain import orders
from eventcollab.models import StepOverdue


def test_each_step_is_overdue_after_its_own_deadline_from_the_event_that_asked_for_it() -> None:
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, at(5))
    stock = reserved(paid, at(6))

    waits = [([placed], 10, placed), ([placed, paid], 20, paid), ([placed, paid, stock], 30, stock)]
    for events, seconds, cause in waits:
        state = fold(events)
        started = cause.occurred_at.second
        assert deadlines.overdue(state, LIMITS, at(started + seconds - 1)) is None
        report = deadlines.overdue(state, LIMITS, at(started + seconds))
        assert isinstance(report, StepOverdue)
        assert report.causation_id == cause.event_id
        assert report.waiting_since == cause.occurred_at
        assert report.deadline_seconds == seconds
        assert (report.service, report.action) == (
            state.waiting_for.service if state.waiting_for else None,
            state.waiting_for.action if state.waiting_for else None,
        )


def test_a_step_is_reported_once_and_the_report_is_the_same_event_every_time() -> None:
    placed = order_placed(occurred_at=at(0))
    state = fold([placed])

    first = deadlines.overdue(state, LIMITS, at(11))
    again = deadlines.overdue(state, LIMITS, at(12))
    assert first is not None and again is not None
    assert first.event_id == again.event_id  # a report sent twice is one event

    reported = workflow.apply(state, first)
    assert reported is not None
    assert deadlines.overdue(reported, LIMITS, at(60)) is None  # back in the timeline: done


def test_a_finished_order_or_one_being_cancelled_has_no_deadline() -> None:
    done = fold(happy_path())
    assert deadlines.overdue(done, LIMITS, at(10_000)) is None

    placed = order_placed(occurred_at=at(0))
    overdue = deadlines.overdue(fold([placed]), LIMITS, at(11))
    assert overdue is not None
    (cancelling,) = orders.decide(None, overdue, at(12)).events
    compensating = fold([placed, overdue, cancelling])
    assert compensating.status == "compensating"
    assert deadlines.overdue(compensating, LIMITS, at(10_000)) is None
