"""The benchmark's per-hop latency: time between a cause's decision and its effect's."""

from typing import Any

import orjson
from tests.unit.builders import at, authorized, order_placed, reserved

from eventcollab.bench.hops import hop_times, summarize
from eventcollab.bench.report import per_hop
from eventcollab.codec import encode
from eventcollab.models import OrderPlaced


def envelope(event: Any) -> dict[str, Any]:
    return dict(orjson.loads(encode(event)))


def sent_at(placed: OrderPlaced, seconds: int) -> dict[str, float]:
    return {placed.correlation_id: at(seconds).timestamp()}


def test_each_hop_is_the_time_from_the_causes_decision_to_the_effects() -> None:
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, now=at(2))
    stock = reserved(paid, now=at(5))
    log = [envelope(e) for e in (stock, placed, paid)]  # topics are read in any order

    hops = hop_times(log, sent_at(placed, 0))

    assert hops == {
        "OrderPlaced -> PaymentAuthorized": [2.0],
        "PaymentAuthorized -> StockReserved": [3.0],
    }


def test_the_first_hop_counts_from_the_scheduled_send_not_the_encoding() -> None:
    placed = order_placed(occurred_at=at(0))  # encoded well before the bench sent it
    log = [envelope(placed), envelope(authorized(placed, now=at(10)))]

    assert hop_times(log, sent_at(placed, 9)) == {"OrderPlaced -> PaymentAuthorized": [1.0]}


def test_a_record_published_twice_counts_once_and_other_workflows_not_at_all() -> None:
    placed, other = order_placed(occurred_at=at(0)), order_placed(occurred_at=at(0))
    paid, other_paid = authorized(placed, now=at(1)), authorized(other, now=at(9))
    log = [envelope(e) for e in (placed, paid, paid, other, other_paid)]

    hops = hop_times(log, sent_at(placed, 0))

    assert hops == {"OrderPlaced -> PaymentAuthorized": [1.0]}


def test_an_effect_whose_cause_is_not_in_the_log_is_no_hop() -> None:
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, now=at(1))

    assert hop_times([envelope(paid)], sent_at(placed, 0)) == {}


def test_the_report_puts_the_contenders_hops_side_by_side() -> None:
    placed = order_placed(occurred_at=at(0))
    log = [envelope(placed), envelope(authorized(placed, now=at(1)))]
    hops = summarize(hop_times(log, sent_at(placed, 0)))
    rounds = [{"contenders": {"a": {"latency": {"hops": hops}}, "b": {"latency": {}}}}]

    shown = per_hop({"medians": {"a": {}, "b": {}}, "rounds": rounds})

    assert "| OrderPlaced -> PaymentAuthorized | 1,000.0 / 1,000.0 | - / - |" in shown
