"""Which workflows and minutes leave the tracker's tables, and what leaving does to the index."""

from datetime import timedelta

from builders import at, declined_path, fold, happy_path, timed_out_path

from eventcollab import index, retirement
from eventcollab.workflow import TERMINAL


def test_a_finished_workflow_leaves_once_its_newest_step_is_past_the_horizon() -> None:
    done = fold(happy_path())  # steps at 0 .. 4 s

    assert not retirement.due(done, at(4))  # the newest step is at the horizon, not before
    assert retirement.due(done, at(4) + timedelta(microseconds=1))
    assert not retirement.due(done, None)  # kept for ever


def test_a_late_step_keeps_a_finished_workflow_until_it_is_past_the_horizon_too() -> None:
    events = timed_out_path()  # cancelled at 45 s; a late shipment at 46 s, cancelled at 47 s
    done = fold(events)
    assert done.status == "cancelled"

    assert not retirement.due(done, at(46))
    assert retirement.due(done, at(48))
    # Whatever order the tracker read them in: the timeline is kept in order of occurrence.
    assert retirement.due(fold(list(reversed(events))), at(48))
    assert not retirement.due(fold(list(reversed(events))), at(46))


def test_a_workflow_still_running_never_leaves() -> None:
    running = fold(happy_path()[:3])
    assert running.status not in TERMINAL

    assert not retirement.due(running, at(10_000_000))


def test_only_a_workflow_that_started_before_the_horizon_can_be_due() -> None:
    assert retirement.may_be_due(at(0), at(1))
    assert not retirement.may_be_due(at(1), at(1))
    assert not retirement.may_be_due(at(0), None)


def test_a_minute_leaves_once_all_of_it_is_past_the_horizon() -> None:
    minute = index.minute_of(at(0))  # 2024-05-01T12:00
    assert minute == "2024-05-01T12:00"

    assert not retirement.minute_due(minute, at(59))
    assert retirement.minute_due(minute, at(60))
    assert not retirement.minute_due(minute, None)


def test_leaving_takes_the_summaries_out_and_counts_the_outcomes_as_retired() -> None:
    done, other, refused = fold(happy_path()), fold(happy_path()), fold(declined_path())

    change = index.retired([done, other, refused])

    summaries = [index.summary_of(s) for s in (done, other, refused)]
    assert change.removed == tuple(
        index.index_key(s.status, s.started_at, s.correlation_id) for s in summaries
    )
    assert change.counts == {"completed": -2, "rejected": -1}
    assert change.retired == {"completed": 2, "rejected": 1}
    assert index.retired([]) == index.Retirement((), {}, {})


def test_a_scan_from_the_horizon_key_sees_the_starts_at_or_after_it() -> None:
    keys = {
        name: index.index_key("completed", started, name)
        for name, started in (("before", at(9)), ("at", at(10)), ("after", at(11)))
    }
    start = index.started_from("completed", at(10))

    seen = {name for name, key in keys.items() if key <= start}  # backwards: keys at or below

    assert seen == {"at", "after"}
