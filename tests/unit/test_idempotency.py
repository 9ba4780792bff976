"""Idempotency-Key: which keys are taken, the ids a key names, and how a repeat is judged."""

from uuid import UUID, uuid5

import pytest
from builders import T0, line, order

from eventcollab.models import EVENT_NAMESPACE, Order, derived_id
from eventcollab.presentation import WorkflowView, present
from eventcollab.web.idempotency import MAX_KEY_LENGTH, idempotency_key, keyed_ids, repeat_of
from eventcollab.web.orders import order_placed, order_request
from eventcollab.workflow import apply


@pytest.mark.parametrize(
    "key",
    ["a", "8f14e45f-ceea-467f-a0d5-2a3a2b1d4c55", "order 17 / ann ~ retry", "k" * MAX_KEY_LENGTH],
)
def test_a_key_of_printable_ascii_is_taken_as_sent(key: str) -> None:
    assert idempotency_key([key]) == key


def test_without_the_header_there_is_no_key() -> None:
    assert idempotency_key([]) is None


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ([""], "1 to 255 characters"),
        (["k" * (MAX_KEY_LENGTH + 1)], "1 to 255 characters"),
        (["caf\u00e9"], "printable ASCII"),
        (["tab\there"], "printable ASCII"),
        (["nul\x00"], "printable ASCII"),
        (["del\x7f"], "printable ASCII"),
        (["one", "two"], "one Idempotency-Key header, not 2"),
    ],
    ids=["empty", "too long", "not ASCII", "tab", "NUL", "DEL", "two headers"],
)
def test_a_bad_key_is_refused_with_what_is_wrong(values: list[str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        idempotency_key(values)


def test_a_key_names_one_workflow_and_one_first_event_for_good() -> None:
    correlation_id, event_id = keyed_ids("order-17")

    # Fixed by the key alone: any worker, before or after any restart, derives the same.
    assert correlation_id == str(uuid5(EVENT_NAMESPACE, "idempotency-key/order-17"))
    assert event_id == derived_id(UUID(correlation_id), "OrderPlaced")
    assert keyed_ids("order-17") == (correlation_id, event_id)
    assert keyed_ids("order-18")[0] != correlation_id
    assert keyed_ids("Order-17")[0] != correlation_id


def test_a_request_is_new_until_the_tracker_holds_its_workflow() -> None:
    assert repeat_of(None, order()) == "new"


def test_the_same_order_is_a_repeat_as_the_tracker_shows_it_after_a_round_trip() -> None:
    body = b'{"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 2, "unit_price": 1.5}]}'
    first = order_placed(order_request(body), T0, key="k")
    state = apply(None, first)
    assert state is not None
    shown = WorkflowView.model_validate_json(present(state).model_dump_json())
    again = order_placed(order_request(body.replace(b"1.5", b'"1.50"')), T0, key="k")

    assert repeat_of(shown.order, again.order) == "same"


@pytest.mark.parametrize(
    "other",
    [
        Order.of("bob", (line("PEN", 2, "1.50"),)),
        Order.of("ann", (line("PEN", 3, "1.50"),)),
        Order.of("ann", (line("PEN", 2, "1.51"),)),
        Order.of("ann", (line("INK", 2, "1.50"),)),
        Order.of("ann", (line("PEN", 2, "1.50"), line("INK", 1, "1.00"))),
    ],
    ids=["customer", "quantity", "price", "sku", "another line"],
)
def test_another_order_under_the_same_key_is_different(other: Order) -> None:
    taken = Order.of("ann", (line("PEN", 2, "1.50"),))

    assert repeat_of(taken, other) == "different"
