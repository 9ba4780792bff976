"""The flow map's edges, counts, hop times and counters, from generated workflows."""

import random
from collections import Counter
from datetime import timedelta

from flows import PATHS, entry, links_of, timeline_of

from eventcollab.flowmap.aggregate import FlowMap, map_of_shares, merged
from eventcollab.flowmap.causal import ends_of, share_of
from eventcollab.workflow import TimelineEntry


def generated(seed: int) -> tuple[list[list[TimelineEntry]], Counter[str], Counter[str]]:
    """Workflows of the three paths in random numbers, and the nodes and edges they hold."""
    chance = random.Random(seed)
    workflows, nodes, edges = [], Counter[str](), Counter[str]()
    for roots in PATHS.values():
        for _ in range(chance.randint(5, 40)):
            workflows.append(timeline_of(roots, chance))
            more_nodes, more_edges = links_of(roots)
            nodes += more_nodes
            edges += more_edges
    chance.shuffle(workflows)
    return workflows, nodes, edges


def map_of(workflows: list[list[TimelineEntry]]) -> FlowMap:
    flow = FlowMap()
    for timeline in workflows:
        flow = flow.plus(share_of(timeline))
    return flow


def test_the_map_holds_exactly_the_generated_edges_and_counts() -> None:
    for seed in range(10):
        workflows, nodes, edges = generated(seed)

        flow = map_of(workflows)

        assert flow.workflows == len(workflows)
        assert flow.nodes == dict(sorted(nodes.items()))
        assert flow.edges == dict(sorted(edges.items()))
        assert (flow.skewed, flow.orphans, flow.duplicates) == (0, 0, 0)


def test_concurrent_branches_give_no_edge_between_them_and_no_reverse_edge() -> None:
    workflows, _, _ = generated(1)

    flow = map_of(workflows)

    linked = {ends_of(edge) for edge in flow.edges}
    assert not {(effect, cause) for cause, effect in linked} & linked
    # The refund and the release ran at once, after the same OrderCancelling: siblings only.
    refund, release = "payments/PaymentRefunded", "inventory/StockReleased"
    assert (refund, release) not in linked and (release, refund) not in linked
    assert flow.fan_out("orders/OrderCancelling -> payments/PaymentRefunded") == 1.0


def test_the_same_workflows_in_any_order_and_split_give_identical_json() -> None:
    workflows, _, _ = generated(2)
    whole = map_of(workflows).model_dump_json()
    chance = random.Random(9)
    for _ in range(10):
        shuffled = [chance.sample(timeline, len(timeline)) for timeline in workflows]
        chance.shuffle(shuffled)
        cut = chance.randint(0, len(shuffled))
        parts = [map_of(shuffled[:cut]), map_of(shuffled[cut:])]  # two partitions

        assert merged(parts).model_dump_json() == whole


def test_hop_times_are_those_from_each_cause_to_its_effect() -> None:
    timeline = timeline_of(PATHS["completed"], random.Random(4))
    by_id = {entry.event_id: entry for entry in timeline}
    placed = next(e for e in timeline if e.event_type == "OrderPlaced")
    authorized = next(e for e in timeline if e.event_type == "PaymentAuthorized")
    completed = next(e for e in timeline if e.event_type == "OrderCompleted")
    assert authorized.causation_id in by_id

    share = share_of(timeline)

    hop = (authorized.occurred_at - placed.occurred_at) / timedelta(milliseconds=1)
    assert share.hops["orders/OrderPlaced -> payments/PaymentAuthorized"] == (hop,)
    whole = (completed.occurred_at - placed.occurred_at) / timedelta(milliseconds=1)
    assert share.since_start["orders/OrderCompleted"] == (whole,)
    assert "orders/OrderPlaced" not in share.since_start
    sketch = map_of([timeline]).hops["orders/OrderPlaced -> payments/PaymentAuthorized"]
    assert sketch.count == 1 and abs((sketch.quantile(0.5) or 0) - hop) <= 0.01 * hop


def test_skewed_duplicate_and_orphan_events_are_counted_exactly() -> None:
    timeline = [
        entry("OrderPlaced", "orders", 1, None, 100),
        entry("PaymentAuthorized", "payments", 2, 1, 90),  # 10 ms before its cause: skewed
        entry("PaymentAuthorized", "payments", 3, 1, 130),  # the same effect again: duplicate
        entry("ShipmentScheduled", "shipping", 4, 99, 400),  # its cause never seen: orphan
    ]

    share = share_of(timeline)

    assert share.hops["orders/OrderPlaced -> payments/PaymentAuthorized"] == (0.0, 30.0)
    assert share.since_start["payments/PaymentAuthorized"] == (0.0, 30.0)
    # Clamped twice (the hop and the time since the start), one duplicate, one orphan.
    assert (share.skewed, share.duplicates, share.orphans) == (2, 1, 1)
    assert share.edges == {"orders/OrderPlaced -> payments/PaymentAuthorized": 2}
    flow = map_of([timeline, timeline])
    assert (flow.skewed, flow.duplicates, flow.orphans) == (4, 2, 2)


def test_a_workflow_changed_by_a_new_event_is_counted_once_with_its_new_share() -> None:
    early = [
        entry("OrderPlaced", "orders", 1, None, 0),
        entry("StockReserved", "inventory", 3, 2, 50),  # came before its cause: an orphan
    ]
    later = [*early, entry("PaymentAuthorized", "payments", 2, 1, 20)]
    other = timeline_of(PATHS["rejected"], random.Random(5))
    live = FlowMap().plus(share_of(other)).plus(share_of(early))

    live = live.minus(share_of(early)).plus(share_of(later))

    assert live == map_of([other, later])
    assert live.orphans == 0
    assert live.edges["payments/PaymentAuthorized -> inventory/StockReserved"] == 1


def test_taking_out_a_share_that_was_never_added_is_refused() -> None:
    timeline = timeline_of(PATHS["rejected"], random.Random(6))
    try:
        FlowMap().minus(share_of(timeline))
    except ValueError as error:
        assert "more than was added" in str(error)
    else:
        raise AssertionError("a share that was never added was taken out")


def test_many_shares_at_once_make_the_same_map_as_one_by_one() -> None:
    workflows, _, _ = generated(3)
    skewed = [
        entry("OrderPlaced", "orders", 1, None, 100),
        entry("PaymentAuthorized", "payments", 2, 1, 90),
        entry("ShipmentScheduled", "shipping", 4, 99, 400),
    ]
    shares = [share_of(timeline) for timeline in [*workflows, skewed]]

    assert map_of_shares(shares) == map_of([*workflows, skewed])
