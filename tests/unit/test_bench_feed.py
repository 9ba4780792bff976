"""The benchmark's orders: made the way the order intake makes them, encoded beforehand."""

import random

from eventcollab.bench.feed import SKUS, orders
from eventcollab.codec import decode_event


def test_the_bench_orders_are_order_placed_events_keyed_by_their_workflow() -> None:
    placed = orders(20, random.Random(7))

    events = [decode_event(value) for _, value in placed]
    assert [cid for cid, _ in placed] == [e.correlation_id for e in events]
    assert {e.event_type for e in events} == {"OrderPlaced"}
    assert len({e.correlation_id for e in events}) == 20
    assert all(line.sku in SKUS for e in events for line in e.order.lines)
