"""The map as of a past instant, the workflows started within a window, two maps compared."""

import random
from datetime import datetime, timedelta
from uuid import UUID

from builders import fold, happy_path, timed_out_path
from flows import ORDER, PATHS, START, timeline_of
from tracked import ended, tracked

from eventcollab import workflow
from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.from_log import map_of, shares_of
from eventcollab.flowmap.windows import (
    MapDiff,
    as_of,
    map_as_of,
    map_diff,
    started_between,
)
from eventcollab.workflow import TimelineEntry, WorkflowState, applied

MS = timedelta(milliseconds=1)


def generated(seed: int, count: int = 60) -> list[WorkflowState]:
    return ended(random.Random(seed), count, timedelta(minutes=5))


def folded(correlation_id: str, entries: list[TimelineEntry]) -> WorkflowState | None:
    state = None
    for entry in entries:
        fresh = entry.model_copy(update={"late": False})
        state = applied(state, fresh, correlation_id, ORDER) or state
    return state


def recorded_times(states: list[WorkflowState]) -> list[datetime]:
    times = [e.recorded_at for s in states for e in s.timeline if e.recorded_at is not None]
    return sorted(set(times))


def test_as_of_an_instant_is_the_fold_of_the_steps_recorded_by_then() -> None:
    for state in generated(1, 12):
        for entry in state.timeline:
            assert entry.recorded_at is not None
            for instant in (entry.recorded_at - MS, entry.recorded_at, entry.recorded_at + MS):
                kept = [e for e in state.timeline if e.recorded_at and e.recorded_at <= instant]

                assert as_of(state, instant) == folded(state.correlation_id, kept)


def test_a_step_counts_from_when_it_was_recorded_not_when_it_occurred() -> None:
    placed, declined = sorted(
        timeline_of(PATHS["rejected"], random.Random(2)), key=lambda e: e.occurred_at
    )[:2]
    late = declined.occurred_at + 40 * MS  # the tracker read it 40 ms after it occurred
    state = folded(
        "r",
        [
            placed.model_copy(update={"recorded_at": placed.occurred_at}),
            declined.model_copy(update={"recorded_at": late}),
        ],
    )
    assert state is not None

    between = as_of(state, declined.occurred_at)

    assert between is not None and [e.event_type for e in between.timeline] == ["OrderPlaced"]
    assert between.waiting_for == workflow.AUTHORIZE
    occurred = workflow.as_of(state, declined.occurred_at)
    assert occurred is not None and len(occurred.timeline) == 2
    assert as_of(state, late) == state


def test_steps_without_a_recorded_time_count_from_when_they_occurred() -> None:
    for events in (happy_path(), timed_out_path()):
        state = fold(events)  # folded as a rebuild does: no tracker clock
        for event in events:
            for instant in (event.occurred_at - MS, event.occurred_at):
                assert as_of(state, instant) == workflow.as_of(state, instant)


def test_the_map_as_of_before_any_step_is_empty_and_after_the_last_is_the_whole_map() -> None:
    states = generated(4)
    times = recorded_times(states)

    assert map_as_of(states, times[0] - MS) == FlowMap()
    by_id = {state.correlation_id: state for state in states}
    whole, _ = map_of(by_id, shares_of(by_id))
    assert map_as_of(states, times[-1]) == whole
    assert map_as_of(states, times[-1] + timedelta(days=1)) == whole


def test_the_map_as_of_an_instant_counts_exactly_the_steps_recorded_by_then() -> None:
    states = generated(5)
    times = recorded_times(states)
    instant = times[len(times) // 2]

    flow = map_as_of(states, instant)

    kept = [
        [e for e in state.timeline if e.recorded_at and e.recorded_at <= instant]
        for state in states
    ]
    seen = [timeline for timeline in kept if timeline]
    assert flow == map_of_shares(share_of(timeline) for timeline in seen)
    assert 0 < flow.workflows < len(states)
    assert sum(flow.nodes.values()) == sum(len(timeline) for timeline in seen)


def test_the_maps_as_of_an_instant_of_two_disjoint_parts_merge_into_that_of_the_whole() -> None:
    states = generated(6)
    times = recorded_times(states)
    chance = random.Random(7)
    for _ in range(10):
        instant = chance.choice(times)
        chance.shuffle(states)
        cut = chance.randint(0, len(states))

        parts = map_as_of(states[:cut], instant).merge(map_as_of(states[cut:], instant))

        assert parts.model_dump_json() == map_as_of(states, instant).model_dump_json()


def start(state: WorkflowState) -> datetime:
    return next(e.occurred_at for e in state.timeline if e.event_type == "OrderPlaced")


def test_the_workflows_started_within_a_window_include_its_start_and_exclude_its_end() -> None:
    states = generated(8)
    starts = sorted(start(state) for state in states)
    begin, end = starts[10], starts[40]

    window = started_between(states, begin, end)

    assert sorted(start(state) for state in window) == starts[10:40]
    halves = started_between(states[:30], begin, end) + started_between(states[30:], begin, end)
    assert sorted(s.correlation_id for s in halves) == sorted(s.correlation_id for s in window)
    # Windows side by side share no workflow and together hold every one.
    before, after = (
        started_between(states, START, begin),
        started_between(states, end, starts[-1] + MS),
    )
    assert len(before) + len(window) + len(after) == len(states)
    no_start = tracked(
        "orphan",
        [
            e
            for e in timeline_of(PATHS["rejected"], random.Random(9))
            if e.event_type != "OrderPlaced"
        ],
        random.Random(9),
    )
    assert started_between([no_start], START - timedelta(days=1), START + timedelta(days=1)) == []


def map_with(states: list[WorkflowState]) -> FlowMap:
    return map_of_shares(share_of(state.timeline) for state in states)


def test_a_map_compared_with_itself_has_nothing_new_or_gone_and_no_difference() -> None:
    flow = map_with(generated(10))

    diff = map_diff(flow, flow)

    assert set(diff.edges) == set(flow.edges) and set(diff.nodes) == set(flow.nodes)
    for compared in (*diff.edges.values(), *diff.nodes.values()):
        assert compared.change is None
        assert (compared.difference, compared.share_difference) == (0, 0.0)
        assert (compared.p50_a_ms, compared.p99_a_ms) == (compared.p50_b_ms, compared.p99_b_ms)
    assert MapDiff.model_validate_json(diff.model_dump_json()) == diff


def test_an_edge_only_after_shows_as_new_and_only_before_as_gone() -> None:
    states = generated(11)
    completed = next(s for s in states if s.status == "completed")
    done = next(e for e in completed.timeline if e.event_type == "OrderCompleted")
    extra = TimelineEntry(
        event_type="ShipmentCancelled",
        producer="shipping",
        event_id=UUID(int=1),
        causation_id=done.event_id,
        occurred_at=done.occurred_at + 25 * MS,
    )
    changed = applied(completed, extra, completed.correlation_id, ORDER)
    assert changed is not None
    before = map_with(states)
    after = map_with([changed if s is completed else s for s in states])
    edge = "orders/OrderCompleted -> shipping/ShipmentCancelled"

    diff = map_diff(before, after)

    new = diff.edges[edge]
    assert (new.change, new.in_a, new.in_b, new.difference) == ("new", 0, 1, 1)
    assert (new.share_a, new.share_b) == (0.0, 1 / len(states))
    assert new.p50_a_ms is None and abs((new.p50_b_ms or 0) - 25) <= 0.25
    assert diff.nodes["shipping/ShipmentCancelled"].change == "new"
    assert [key for key, c in diff.edges.items() if c.change] == [edge]
    assert map_diff(after, before).edges[edge].change == "gone"


def test_two_windows_compared_count_each_edge_in_each() -> None:
    states = generated(12)
    completed = [s for s in states if s.status == "completed"]
    rejected = [s for s in states if s.status == "rejected"]
    paid = "orders/OrderPlaced -> payments/PaymentAuthorized"
    refused = "orders/OrderPlaced -> payments/PaymentDeclined"

    diff = map_diff(map_with(completed), map_with(completed + rejected))

    assert (diff.workflows_a, diff.workflows_b) == (len(completed), len(completed) + len(rejected))
    kept = diff.edges[paid]
    assert (kept.in_a, kept.in_b, kept.difference, kept.change) == (len(completed),) * 2 + (0, None)
    assert kept.share_a == 1.0 and kept.share_b == len(completed) / diff.workflows_b
    assert diff.edges[refused].in_b == len(rejected) and diff.edges[refused].change == "new"
