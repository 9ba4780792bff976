"""What a service accepts from a topic, and what it refuses for good (a dead letter at once)."""

import json
from uuid import uuid4

import pytest
from builders import authorized, line, order, order_placed

from eventcollab.codec import encode
from eventcollab.domain import inventory
from eventcollab.models import AddStock, ReserveStock
from eventcollab.records import Refused, command_of, event_of


def refusal(call: object, *args: object) -> Refused:
    with pytest.raises(Refused) as refused:
        call(*args)  # type: ignore[operator]
    return refused.value


def test_an_event_keyed_by_its_correlation_id_is_accepted() -> None:
    placed = order_placed()

    assert event_of(placed.correlation_id.encode(), encode(placed)) == placed


def test_a_stock_command_keyed_by_its_sku_is_accepted() -> None:
    reserve = inventory.start_reservation(authorized())
    restock = AddStock(command_id=uuid4(), sku="PEN", quantity=2)

    assert command_of(b"PEN", encode(reserve)) == reserve
    assert command_of(b"PEN", encode(restock)) == restock


@pytest.mark.parametrize(
    "value",
    [b"\x00\xff\xfe garbage", b'{"event_type":"OrderPlaced","event_id":"', b"", b"[1, 2"],
    ids=["random bytes", "truncated JSON", "empty", "truncated array"],
)
def test_what_is_not_json_is_undecodable(value: bytes) -> None:
    refused = refusal(event_of, b"key", value)

    assert refused.kind == "undecodable"
    assert "Invalid JSON" in refused.reason


def test_a_record_without_a_value_is_undecodable() -> None:
    refused = refusal(event_of, b"key", None)

    assert (refused.kind, refused.reason) == ("undecodable", "null value")


def changed(field: str, value: object) -> bytes:
    placed = json.loads(encode(order_placed()))
    if value is ...:
        del placed[field]
    else:
        placed[field] = value
    return json.dumps(placed).encode()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (changed("event_id", 42), "event_id"),
        (changed("order", "a string"), "order"),
        (changed("occurred_at", [1]), "occurred_at"),
        (changed("correlation_id", ...), "correlation_id: Field required"),
        (changed("order", ...), "order: Field required"),
        (changed("event_type", "OrderTeleported"), "does not match any of the expected tags"),
        (changed("event_type", "OrderCompleted"), "shipment_id: Field required"),
        (changed("padding", "x"), "Extra inputs are not permitted"),
        (b"[1, 2, 3]", "value"),
    ],
    ids=[
        "wrong type of id",
        "wrong type of order",
        "wrong type of time",
        "missing correlation id",
        "missing order",
        "unknown event type",
        "another event's shape",
        "an unknown field",
        "not an object",
    ],
)
def test_json_that_is_not_one_of_our_events_is_invalid(value: bytes, says: str) -> None:
    refused = refusal(event_of, b"key", value)

    assert refused.kind == "invalid"
    assert says in refused.reason


def test_an_event_under_another_key_than_its_correlation_id_is_refused() -> None:
    placed = order_placed()

    refused = refusal(event_of, str(uuid4()).encode(), encode(placed))
    unkeyed = refusal(event_of, None, encode(placed))

    assert refused.kind == unkeyed.kind == "wrong-key"
    assert placed.correlation_id in refused.reason
    assert "key none" in unkeyed.reason


def test_a_stock_command_under_another_key_than_its_sku_is_refused() -> None:
    reserve = inventory.start_reservation(authorized())

    refused = refusal(command_of, b"INK", encode(reserve))

    assert (refused.kind, refused.reason) == ("wrong-key", "key 'INK' is not the sku PEN")


def test_a_line_command_for_a_line_its_order_has_not_is_invalid() -> None:
    cause = authorized(order_placed(order(line("PEN"), line("INK"))))
    first = inventory.start_reservation(cause)
    beyond: ReserveStock = first.model_copy(update={"line_index": 2})
    other_line: ReserveStock = first.model_copy(update={"line_index": 1})

    assert (
        "line_index 2 outside an order of 2 lines"
        in refusal(command_of, b"PEN", encode(beyond)).reason
    )
    assert (
        refusal(command_of, b"PEN", encode(other_line)).reason == "sku PEN is not the sku of line 1"
    )
