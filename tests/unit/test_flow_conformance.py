"""The flow as it ran against the declared one: edge marks and each workflow's deviations."""

import random
from datetime import timedelta

from builders import cancelled_path, declined_path, happy_path, timed_out_path
from flows import PATHS, START, links_of, state_of, timeline_of
from test_flow_map import entry

from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.conformance import deviations_of, marks
from eventcollab.flowmap.from_log import map_of, shares_of, workflows_of

DECLARED = frozenset(edge for roots in PATHS.values() for edge in links_of(roots)[1]) | {
    "orders/OrderPlaced -> orders/OrderRejected"
}  # declared, never taken below


def test_edges_are_marked_expected_unexpected_or_never_seen() -> None:
    seen = ["a/X -> b/Y", "b/Y -> c/Z"]

    assert marks(seen, ["a/X -> b/Y", "a/X -> d/W"]) == {
        "a/X -> b/Y": "expected",
        "a/X -> d/W": "never seen",
        "b/Y -> c/Z": "unexpected",
    }


def test_each_workflow_is_checked_for_each_deviation_with_exact_counts_and_samples() -> None:
    chance = random.Random(2)
    states = {
        f"ok-{n}": state_of(f"ok-{n}", "completed", timeline_of(PATHS["completed"], chance))
        for n in range(5)
    }
    # Shipping scheduled straight from the order, which no service declares.
    strange = [
        entry("OrderPlaced", "orders", 1, None, 0),
        entry("ShipmentScheduled", "shipping", 2, 1, 10),
        entry("OrderCompleted", "orders", 3, 2, 20),
    ]
    doubled = [
        entry("OrderPlaced", "orders", 11, None, 0),
        entry("PaymentDeclined", "payments", 12, 11, 10),
        entry("PaymentDeclined", "payments", 13, 11, 12),
        entry("OrderRejected", "orders", 14, 12, 30),
    ]
    orphaned = [
        entry("OrderPlaced", "orders", 21, None, 0),
        entry("StockReserved", "inventory", 22, 99, 5),
    ]
    states |= {
        "strange": state_of("strange", "completed", strange),
        "doubled": state_of("doubled", "rejected", doubled),
        "orphaned": state_of("orphaned", "in_progress", orphaned),
        "young": state_of(
            "young", "in_progress", [entry("OrderPlaced", "orders", 31, None, 59_000)]
        ),
    }

    found = deviations_of(
        states,
        shares_of(states),
        DECLARED,
        now=START + timedelta(minutes=1),
        grace=timedelta(seconds=30),
    )

    assert {kind: f.samples for kind, f in found.items()} == {
        "unexpected edge": ("strange",),
        "missing terminal": ("orphaned",),  # "young" started 1 s ago: within the grace
        "duplicate": ("doubled",),
        "orphan cause": ("orphaned",),
    }
    assert all(f.workflows == len(f.samples) for f in found.values())
    seen = set().union(*(share_of(s.timeline).edges for s in states.values()))
    assert marks(seen, DECLARED)["orders/OrderPlaced -> shipping/ShipmentScheduled"] == "unexpected"
    assert marks(seen, DECLARED)["orders/OrderPlaced -> orders/OrderRejected"] == "never seen"


def test_the_log_folds_into_the_same_workflows_and_map_in_any_order() -> None:
    paths = [happy_path(), declined_path(), cancelled_path(), timed_out_path()]
    events = [event for path in paths for event in path]
    chance = random.Random(4)

    states = workflows_of(events)
    flow, variants = map_of(states, shares_of(states))
    for _ in range(5):
        shuffled = chance.sample(events, len(events))
        assert workflows_of(shuffled) == states
        again = workflows_of(shuffled)
        assert map_of(again, shares_of(again)) == (flow, variants)

    assert flow.workflows == len(paths)
    assert sum(flow.nodes.values()) == len({event.event_id for event in events})
    assert flow.nodes["orders/OrderPlaced"] == len(paths)
    assert (flow.orphans, flow.duplicates) == (0, 0)
    assert variants.workflows == len(paths)  # each path ended, each its own variant
    assert len(variants.by_id) == len(paths)
