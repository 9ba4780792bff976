"""The view of a workflow that the JSON, the terminal and the event stream show."""

from builders import at, declined_path, happy_path, out_of_stock_path

from eventcollab import workflow
from eventcollab.models import Event
from eventcollab.presentation import present
from eventcollab.workflow import (
    AUTHORIZE,
    CANCEL,
    COMPLETE,
    REFUND,
    REJECT,
    RESERVE,
    SCHEDULE,
    WorkflowState,
)


def fold(events: list[Event]) -> WorkflowState:
    state: WorkflowState | None = None
    for number, event in enumerate(events):
        state = workflow.apply(state, event, recorded_at=at(100 + number)) or state
    assert state is not None
    return state


def test_each_step_shows_when_it_was_recorded_and_the_time_since_the_step_before() -> None:
    view = present(fold(happy_path()))  # one second between steps

    assert [step.since_previous_ms for step in view.timeline] == [None] + [1000.0] * 4
    assert [step.recorded_at for step in view.timeline] == [at(100 + n) for n in range(5)]
    assert view.started_at == at(0)
    assert view.duration_ms == 4000.0


def test_the_steps_still_expected_run_from_the_awaited_one_to_the_outcome() -> None:
    path = happy_path()

    expected = [present(fold(path[:count])).expected for count in range(1, 6)]

    assert expected == [
        (AUTHORIZE, RESERVE, SCHEDULE, COMPLETE),
        (RESERVE, SCHEDULE, COMPLETE),
        (SCHEDULE, COMPLETE),
        (COMPLETE,),
        (),
    ]


def test_a_failing_workflow_expects_the_steps_of_its_own_way_out() -> None:
    declined, out_of_stock = declined_path(), out_of_stock_path()

    assert present(fold(declined[:2])).expected == (REJECT,)
    assert present(fold(out_of_stock[:3])).expected == (REFUND, CANCEL)
    assert present(fold(out_of_stock)).expected == ()


def test_a_step_redelivered_later_keeps_its_first_recording() -> None:
    placed = happy_path()[0]
    first = workflow.apply(None, placed, recorded_at=at(100))

    assert first is not None
    assert workflow.apply(first, placed, recorded_at=at(200)) is None  # nothing to store
    assert first.timeline[0].recorded_at == at(100)
