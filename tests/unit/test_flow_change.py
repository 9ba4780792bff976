"""One event at a time: the map changed event by event equals the map of the whole workflows."""

import random

from flows import PATHS, timeline_of
from test_flow_map import entry

from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.change import change_of
from eventcollab.workflow import TimelineEntry

ODD = [  # skewed, doubled and orphaned events, and a second, earlier start
    entry("OrderPlaced", "orders", 1, None, 100),
    entry("PaymentAuthorized", "payments", 2, 1, 90),
    entry("PaymentAuthorized", "payments", 3, 1, 130),
    entry("StockReserved", "inventory", 4, 3, 150),
    entry("ShipmentScheduled", "shipping", 5, 99, 400),
    entry("OrderPlaced", "orders", 6, None, 50),
]


def folded_event_by_event(workflows: list[list[TimelineEntry]], chance: random.Random) -> FlowMap:
    """Every workflow's events, interleaved across workflows, each a change of the map."""
    arrivals = [(n, e) for n, timeline in enumerate(workflows) for e in timeline]
    chance.shuffle(arrivals)
    seen: dict[int, tuple[TimelineEntry, ...]] = {}
    flow = FlowMap()
    for number, event in arrivals:
        before = seen.get(number, ())
        flow = flow.changed(change_of(before, event))
        seen[number] = (*before, event)
    return flow


def test_changes_event_by_event_give_the_map_of_the_whole_workflows_in_any_order() -> None:
    for seed in range(20):
        chance = random.Random(seed)
        workflows = [timeline_of(roots, chance) for roots in PATHS.values() for _ in range(4)]
        workflows.append(list(ODD))

        flow = folded_event_by_event(workflows, chance)

        whole = map_of_shares(share_of(timeline) for timeline in workflows)
        assert flow == whole, seed
        assert flow.model_dump_json() == whole.model_dump_json()


def test_an_effect_that_came_first_stops_being_an_orphan_when_its_cause_comes() -> None:
    placed, authorized = ODD[0], ODD[2]
    reserved = ODD[3]  # caused by `authorized`

    early = change_of((placed,), reserved)
    late = change_of((placed, reserved), authorized)

    assert early.added.orphans == 1 and not early.added.edges
    assert late.added.orphans == -1
    assert late.added.edges == {
        "orders/OrderPlaced -> payments/PaymentAuthorized": 1,
        "payments/PaymentAuthorized -> inventory/StockReserved": 1,
    }
    assert late.taken is None and not late.new_workflow


def test_an_earlier_start_recomputes_the_share_and_only_then() -> None:
    events = tuple(ODD[:5])

    change = change_of(events, ODD[5])  # an OrderPlaced 50 ms before the first one

    assert change.taken == share_of(events)
    assert change.added == share_of((*events, ODD[5]))
    assert change_of((), ODD[0]).new_workflow and change_of((), ODD[0]).taken is None
