"""`eventcollab status`: the text printed for a workflow's state."""

from builders import happy_path, timed_out_path

from eventcollab import workflow
from eventcollab.models import Event
from eventcollab.presentation import present
from eventcollab.render import render_status
from eventcollab.workflow import WorkflowState


def fold(events: list[Event]) -> WorkflowState:
    state: WorkflowState | None = None
    for event in events:
        state = workflow.apply(state, event)
    assert state is not None
    return state


def test_a_workflow_in_progress_shows_its_status_the_awaited_step_and_its_timeline() -> None:
    events = happy_path()[:2]

    text = render_status(present(fold(events)))

    assert "in_progress" in text
    assert "waiting   inventory: reserve stock" in text
    assert (
        "expected  inventory: reserve stock, then shipping: schedule the shipment, "
        "then orders: complete the order"
    ) in text
    assert events[0].correlation_id in text
    for event in events:
        assert event.event_type in text
        assert str(event.event_id) in text


def test_a_completed_workflow_shows_every_event_and_awaits_nothing() -> None:
    events = happy_path()

    text = render_status(present(fold(events)))

    assert "completed" in text
    assert "waiting   -" in text
    assert "expected  -" in text
    assert len(text.splitlines()) == 6 + len(events)
    for event in events:
        assert event.event_type in text


def test_a_timed_out_workflow_shows_its_reason_the_missed_step_and_late_steps() -> None:
    text = render_status(present(fold(timed_out_path())))

    assert "status    cancelled" in text
    assert "reason    deadline passed: shipping: schedule the shipment not done within 30 s" in text
    assert "(deadline missed: shipping: schedule the shipment)" in text
    [late] = [line for line in text.splitlines() if line.endswith("(late)")]
    assert "ShipmentScheduled" in late


def test_a_status_as_of_a_time_says_which_time_it_shows() -> None:
    events = happy_path()
    then = workflow.as_of(fold(events), events[1].occurred_at)
    assert then is not None

    text = render_status(present(then), events[1].occurred_at)

    assert f"as of     {events[1].occurred_at.isoformat(timespec='milliseconds')}" in text
    assert "waiting   inventory: reserve stock" in text
    assert events[2].event_type not in text
