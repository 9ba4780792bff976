"""How each workflow ended, from the records on `orders`: its outcome and its time."""

from tests.unit.builders import order_placed

from eventcollab.codec import encode
from eventcollab.soak.ends import Ends, event_type


def test_a_workflow_s_time_is_from_its_order_placed_to_its_outcome() -> None:
    ends = Ends()

    ends.see("OrderPlaced", "a", 1_000)
    ends.see("PaymentAuthorized", "a", 1_100)  # not on `orders`, and not an end
    ends.see("OrderCompleted", "a", 1_250)

    assert ends.outcome == {"a": "completed"}
    assert ends.finishes == [(1_250, 250)]
    assert ends.unfinished(set()) == set()


def test_an_outcome_seen_again_counts_once_and_a_different_one_is_a_conflict() -> None:
    ends = Ends()
    ends.see("OrderPlaced", "a", 0)
    ends.see("OrderRejected", "a", 40)

    ends.see("OrderRejected", "a", 90)
    ends.see("OrderCancelled", "a", 95)
    ends.see("OrderPlaced", "a", 99)  # sent again after its end: it does not start again

    assert ends.outcome == {"a": "rejected"}
    assert ends.finishes == [(40, 40)]
    assert (ends.repeated, ends.conflicting) == (1, {"a": ["rejected", "cancelled"]})
    assert ends.placed_at == {}


def test_an_order_acknowledged_or_on_the_log_without_an_outcome_is_unfinished() -> None:
    ends = Ends()
    ends.see("OrderPlaced", "on the log", 0)
    ends.see("OrderPlaced", "ended", 0)
    ends.see("OrderCancelled", "ended", 10)

    assert ends.unfinished({"acknowledged", "ended"}) == {"acknowledged", "on the log"}


def test_the_type_comes_from_the_record_or_it_is_no_event() -> None:
    assert event_type(encode(order_placed())) == "OrderPlaced"
    assert event_type(b'{"not": "an event"}') is None
    assert event_type(b"\xff") is None
