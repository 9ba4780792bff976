"""The tracker's index: what each step does to the list by status and the counts."""

from datetime import UTC, datetime, timedelta, timezone

from builders import at, happy_path

from eventcollab import index, workflow
from eventcollab.models import Event
from eventcollab.web.lists import merge_lists
from eventcollab.workflow import WorkflowState


def states(events: list[Event]) -> list[WorkflowState | None]:
    """The state before the first event and after each one."""
    found: list[WorkflowState | None] = [None]
    for event in events:
        found.append(workflow.apply(found[-1], event) or found[-1])
    return found


def test_a_new_workflow_is_listed_in_progress_and_counted() -> None:
    placed = happy_path()[0]
    before, after = states([placed])

    assert after is not None
    change = index.changes(before, after)

    assert change.removed is None
    assert change.added == (
        index.index_key("in_progress", at(0), placed.correlation_id),
        index.summary_of(after),
    )
    assert change.counts == {"in_progress": 1}
    assert change.finished_minute is None


def test_a_step_that_changes_no_status_changes_no_index() -> None:
    _, first, second = states(happy_path()[:2])

    assert second is not None
    assert index.changes(first, second) == index.IndexChange(None, None, {}, None)


def test_the_outcome_moves_the_workflow_to_its_status_and_counts_the_minute() -> None:
    *_, before, after = states(happy_path())

    assert after is not None and before is not None
    change = index.changes(before, after)

    cid = after.correlation_id
    assert change.removed == index.index_key("in_progress", at(0), cid)
    assert change.added is not None
    assert change.added[0] == index.index_key("completed", at(0), cid)
    assert change.counts == {"completed": 1, "in_progress": -1}
    assert change.finished_minute == index.minute_of(at(4))


def test_an_earlier_step_arriving_late_moves_the_start_and_the_key() -> None:
    placed, paid = happy_path()[:2]
    _, first, both = states([paid, placed])  # the tracker saw the payment first

    assert first is not None and both is not None
    change = index.changes(first, both)

    assert change.removed == index.index_key("in_progress", at(1), placed.correlation_id)
    assert change.added is not None
    assert change.added[0] == index.index_key("in_progress", at(0), placed.correlation_id)
    assert change.counts == {}


def test_keys_sort_newest_first() -> None:
    keys = [index.index_key("completed", at(seconds), "id") for seconds in (5, 1, 3)]

    assert sorted(keys) == [keys[0], keys[2], keys[1]]


def test_merged_lists_order_by_time_not_by_text() -> None:
    on_the_second = {"started_at": "2026-11-27T17:15:53Z", "correlation_id": "a"}
    just_after = {"started_at": "2026-11-27T17:15:53.200000Z", "correlation_id": "b"}

    merged = merge_lists([[on_the_second], [just_after]], limit=2)

    assert [s["correlation_id"] for s in merged] == ["b", "a"]  # newest first


def test_times_a_microsecond_apart_get_their_own_keys_in_order() -> None:
    earlier = at(0) + timedelta(microseconds=1)
    later = earlier + timedelta(microseconds=1)

    assert index.newest_first(later) < index.newest_first(earlier)


def test_the_start_and_the_id_are_read_back_from_an_index_key() -> None:
    started = datetime(2026, 11, 27, 19, 30, 0, 123456, tzinfo=UTC)

    assert index.started_of(index.index_key("in_progress", started, "a/b")) == (started, "a/b")


def test_newest_first_counts_every_microsecond_before_the_latest_instant() -> None:
    for instant in (
        datetime(2026, 11, 28, 13, 0, 0, 999_999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, 0, 1, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
    ):
        expected = (index.LATEST - instant) // timedelta(microseconds=1)

        assert index.newest_first(instant) == f"{expected:020d}"
        assert index.started_of(index.index_key("x", instant, "id"))[0] == instant


def test_the_finished_minute_is_the_utc_minute_whatever_the_offset() -> None:
    west = timezone(timedelta(hours=-5))
    instant = datetime(2026, 12, 31, 20, 59, 59, 999_999, tzinfo=west)

    assert index.minute_of(instant) == "2027-01-01T01:59"
    assert index.minute_start(index.minute_of(instant)) == datetime(2027, 1, 1, 1, 59, tzinfo=UTC)
