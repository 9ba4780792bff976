"""Drill-down: from an edge or a node to its slowest and failed workflows, and one workflow's
causation tree with its hop times."""

import random
from datetime import timedelta

import pytest
from builders import fold, timed_out_path
from flows import PATHS, entry, state_of, timeline_of
from tracked import ended, waiting

from eventcollab.flowmap.drill import CausalTree, form, on_edge, on_node, tree_of
from eventcollab.flowmap.variants import path_of
from eventcollab.workflow import TimelineEntry, WorkflowState

PAID = "orders/OrderPlaced -> payments/PaymentAuthorized"
RESERVED = "payments/PaymentAuthorized -> inventory/StockReserved"


def at(state: WorkflowState, kind: str) -> TimelineEntry:
    (entry,) = (e for e in state.timeline if e.event_type == kind)
    return entry


def slowest_first(pairs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def test_the_workflows_that_took_an_edge_are_listed_slowest_first_by_their_hop() -> None:
    states = ended(random.Random(1), 90, timedelta(minutes=5))
    completed = [s for s in states if s.status == "completed"]
    hops = [
        (
            s.correlation_id,
            (
                at(s, "StockReserved").occurred_at - at(s, "PaymentAuthorized").occurred_at
            ).total_seconds()
            * 1000,
        )
        for s in completed
    ]

    drilled = on_edge(states, RESERVED)

    assert drilled.took.count == len(completed) > 0
    assert [(d.correlation_id, d.ms) for d in drilled.took.slowest] == slowest_first(hops)
    assert {d.status for d in drilled.took.slowest} == {"completed"}
    assert (drilled.failed.count, drilled.failed.slowest) == (0, ())


def test_the_failed_workflows_of_an_edge_are_those_that_ended_rejected_or_cancelled() -> None:
    states = ended(random.Random(2), 90, timedelta(minutes=5))
    timed_out = fold(timed_out_path())  # cancelled when shipping missed its deadline
    running = waiting(random.Random(3), "running", 2, 0)  # paid, waiting for its stock
    states += [timed_out, running]
    took = [s for s in states if s.status in ("completed", "cancelled", "in_progress")]
    cancelled = {s.correlation_id for s in took if s.status == "cancelled"}

    drilled = on_edge(states, PAID)

    assert drilled.took.count == len(took)
    assert drilled.failed.count == len(cancelled) > 1
    assert {d.correlation_id for d in drilled.failed.slowest} == cancelled
    (late,) = (d for d in drilled.failed.slowest if d.correlation_id == timed_out.correlation_id)
    assert (late.status, late.timed_out, late.ms) == (
        "cancelled",
        "shipping: schedule the shipment",
        1000.0,
    )


def test_the_lists_are_bounded_and_the_counts_exact() -> None:
    states = ended(random.Random(3), 90, timedelta(minutes=5))
    whole = on_edge(states, PAID)

    bounded = on_edge(states, PAID, listed=5)

    assert bounded.took.count == whole.took.count > 5
    assert bounded.took.slowest == whole.took.slowest[:5]
    assert bounded.failed.count == whole.failed.count > 5
    assert bounded.failed.slowest == whole.failed.slowest[:5]


def test_the_answers_of_two_disjoint_parts_merged_equal_the_answer_of_the_whole() -> None:
    states = ended(random.Random(4), 90, timedelta(minutes=5))
    node = "orders/OrderCancelled"
    chance = random.Random(5)
    for _ in range(10):
        chance.shuffle(states)
        cut = chance.randint(0, len(states))
        first, second = states[:cut], states[cut:]

        edge = on_edge(first, PAID, 4).merge(on_edge(second, PAID, 4), 4)
        reached = on_node(first, node, 4).merge(on_node(second, node, 4), 4)

        assert edge == on_edge(states, PAID, 4)
        assert reached.model_dump_json() == on_node(states, node, 4).model_dump_json()
    with pytest.raises(ValueError, match="merged"):
        on_edge(states, PAID).merge(on_edge(states, RESERVED))


def test_the_workflows_that_reached_a_node_are_listed_slowest_first_since_their_start() -> None:
    states = ended(random.Random(6), 60, timedelta(minutes=5))
    completed = [s for s in states if s.status == "completed"]
    whole = [
        (
            s.correlation_id,
            (at(s, "OrderCompleted").occurred_at - at(s, "OrderPlaced").occurred_at).total_seconds()
            * 1000,
        )
        for s in completed
    ]
    # A workflow whose start was never seen: reached the node, time unknown, listed last.
    no_start = state_of(
        "a-no-start",
        "completed",
        [entry("OrderCompleted", "orders", 1, 99, 50)],
    )

    reached = on_node([*states, no_start], "orders/OrderCompleted")

    assert reached.reached.count == len(completed) + 1
    listed = [(d.correlation_id, d.ms) for d in reached.reached.slowest]
    assert listed == [*slowest_first(whole), ("a-no-start", None)]
    start = on_node(states, "orders/OrderPlaced")
    assert start.reached.count == len(states)
    assert {d.ms for d in start.reached.slowest} == {0.0}


def test_a_workflows_tree_puts_each_event_under_its_cause_with_its_hop() -> None:
    timeline = timeline_of(PATHS["cancelled"], random.Random(7))
    by_id = {e.event_id: e for e in timeline}

    tree = tree_of(state_of("c", "cancelled", timeline))

    assert " + ".join(form(root) for root in tree.roots) == path_of(timeline)
    assert [root.node for root in tree.roots] == ["orders/CancelRequested", "orders/OrderPlaced"]
    lines = tree.lines()
    assert len(lines) == len(timeline)
    for depth, event in lines:
        cause = by_id[event.event_id].causation_id
        if cause is None:
            assert (depth, event.hop_ms) == (0, None)
        else:
            hop = (event.occurred_at - by_id[cause].occurred_at).total_seconds() * 1000
            assert event.hop_ms == hop and not event.clamped
    indented = [(depth, event.node) for depth, event in lines]
    assert indented == [
        (0, "orders/CancelRequested"),
        (1, "orders/OrderCancelling"),
        (2, "inventory/StockReleased"),
        (2, "payments/PaymentRefunded"),
        (3, "orders/OrderCancelled"),
        (0, "orders/OrderPlaced"),
        (1, "payments/PaymentAuthorized"),
    ]


def test_a_tree_is_the_same_whatever_order_its_events_came_in() -> None:
    timeline = timeline_of(PATHS["completed"], random.Random(8))
    first = tree_of(state_of("c", "completed", timeline))
    chance = random.Random(9)
    for _ in range(5):
        chance.shuffle(timeline)
        assert tree_of(state_of("c", "completed", timeline)) == first


def test_a_skewed_hop_is_clamped_and_flagged_and_an_orphan_is_a_root_of_its_own() -> None:
    timeline = [
        entry("OrderPlaced", "orders", 1, None, 100),
        entry("PaymentAuthorized", "payments", 2, 1, 90),  # 10 ms before its cause
        entry("PaymentAuthorized", "payments", 3, 1, 130),  # the same effect again
        entry("ShipmentScheduled", "shipping", 4, 99, 400),  # its cause never seen
    ]

    tree: CausalTree = tree_of(state_of("s", "in_progress", timeline))

    placed, orphan = tree.roots
    assert (placed.node, placed.orphan, orphan.node, orphan.orphan) == (
        "orders/OrderPlaced",
        False,
        "shipping/ShipmentScheduled",
        True,
    )
    assert [(e.event_id.int, e.hop_ms, e.clamped) for e in placed.effects] == [
        (2, 0.0, True),
        (3, 30.0, False),
    ]


def test_a_workflow_that_took_an_edge_twice_is_listed_once_with_its_slower_hop() -> None:
    twice = state_of(
        "twice",
        "in_progress",
        [
            entry("OrderPlaced", "orders", 1, None, 0),
            entry("PaymentAuthorized", "payments", 2, 1, 10),
            entry("PaymentAuthorized", "payments", 3, 1, 30),  # the same effect again
        ],
    )

    drilled = on_edge([twice], PAID)

    assert drilled.took.count == 1
    assert [(d.correlation_id, d.ms) for d in drilled.took.slowest] == [("twice", 30.0)]
