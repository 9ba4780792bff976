"""The pure parts of the order intake: validating a request and turning it into OrderPlaced.

Every refusal has its case here: removing the check that makes it lets the case through.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from eventcollab.codec import decode_event, encode
from eventcollab.web.orders import PlaceOrder, order_placed, order_request, reasons

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PEN = {"sku": "PEN", "quantity": 2, "unit_price": "1.50"}
INK = {"sku": "INK", "quantity": 1, "unit_price": "4.25"}


def body(**changes: Any) -> bytes:
    good = {"customer_id": "ann", "items": [PEN, INK]}
    good.update(changes)
    return json.dumps({k: v for k, v in good.items() if v is not ...}).encode()


def item(**changes: Any) -> bytes:
    """A body of one item, PEN's with `changes` (`...` leaves a field out)."""
    line = {k: v for k, v in (PEN | changes).items() if v is not ...}
    return body(items=[line])


def refusal(raw: bytes) -> list[dict[str, Any]]:
    """The reasons a body is refused for, from the request or from the order it makes."""
    with pytest.raises(ValidationError) as caught:
        order_placed(order_request(raw), NOW)
    return reasons(caught.value)


def test_a_good_body_is_accepted() -> None:
    request = order_request(body())

    assert request.customer_id == "ann"
    assert [(i.sku, i.quantity, i.unit_price) for i in request.items] == [
        ("PEN", 2, Decimal("1.50")),
        ("INK", 1, Decimal("4.25")),
    ]


@pytest.mark.parametrize(
    ("price", "taken"),
    [
        ("12.50", "12.50"),
        ("12.5", "12.5"),
        ("12", "12"),
        (12.5, "12.5"),
        (19.99, "19.99"),  # the float's shortest form, not 19.989999999999998...
        (12, "12"),
        (1e2, "100.0"),
        ("9999999999.99", "9999999999.99"),  # the largest price an event carries
    ],
)
def test_a_price_is_a_json_number_or_a_plain_decimal_string(price: Any, taken: str) -> None:
    request = order_request(item(unit_price=price, quantity=1))

    assert request.items[0].unit_price == Decimal(taken)


def test_control_free_names_of_any_script_are_accepted() -> None:
    assert order_request(body(customer_id="José Ñandú 山田")).customer_id == "José Ñandú 山田"


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        (b"{not json", "", "Invalid JSON"),
        (b"", "", "Invalid JSON"),
        (b"[]", "", "Input should be an object"),
        (body(customer_id=...), "customer_id", "Field required"),
        (body(items=...), "items", "Field required"),
        (body(items=[]), "items", "at least one item"),
        (body(items=[PEN] * 101), "items", "at most 100"),
        (body(coupon="FREE"), "coupon", "Extra inputs are not permitted"),
        (item(colour="red"), "items.0.colour", "Extra inputs are not permitted"),
        (item(sku=...), "items.0.sku", "Field required"),
        (item(quantity=...), "items.0.quantity", "Field required"),
        (item(unit_price=...), "items.0.unit_price", "Field required"),
        (body(items=[PEN, PEN]), "", "each sku may appear on one line only"),
    ],
    ids=[
        "malformed JSON",
        "empty body",
        "not an object",
        "no customer_id",
        "no items",
        "empty items",
        "too many items",
        "unknown field",
        "unknown item field",
        "no sku",
        "no quantity",
        "no unit_price",
        "a sku on two lines",
    ],
)
def test_a_malformed_incomplete_or_unknown_body_is_refused(
    raw: bytes, field: str, says: str
) -> None:
    found = refusal(raw)

    assert any(r["field"] == field and says in r["reason"] for r in found), found


@pytest.mark.parametrize(
    ("quantity", "says"),
    [
        (0, "greater than 0"),
        (-1, "greater than 0"),
        (10_001, "less than or equal to 10000"),
        (True, "valid integer"),
        ("2", "valid integer"),
        (2.0, "valid integer"),
        (2.5, "valid integer"),
        (None, "valid integer"),
    ],
    ids=["zero", "negative", "too many", "true", "text", "float", "fraction", "null"],
)
def test_a_quantity_is_a_positive_whole_json_number(quantity: Any, says: str) -> None:
    [found] = refusal(item(quantity=quantity))

    assert found["field"] == "items.0.quantity"
    assert says in found["reason"]


@pytest.mark.parametrize(
    ("price", "says"),
    [
        (0, "greater than 0"),
        ("0.00", "greater than 0"),
        (-1, "greater than or equal to 0"),
        ("-1.00", "a price is a number, or a decimal in a string"),
        (1.005, "no more than 2 decimal places"),
        ("1.005", "a decimal in a string such as"),
        ("NaN", "a decimal in a string such as"),
        ("Infinity", "a decimal in a string such as"),
        ("1e2", "a decimal in a string such as"),
        (" 1.50", "a decimal in a string such as"),
        ("", "a decimal in a string such as"),
        ("12,50", "a decimal in a string such as"),
        (1e300, "no more than 12 digits"),
        (10**20, "no more than 12 digits"),
        ("10000000000.00", "no more than 10 digits before the decimal point"),
        (0.30000000000000004, "no more than 12 digits"),
        (True, "not a boolean"),
        (None, "not null"),
        ([1], "not an array"),
        ({"amount": 1}, "not an object"),
    ],
    ids=[
        "zero",
        "zero text",
        "negative",
        "negative text",
        "three decimals",
        "three decimals text",
        "NaN text",
        "Infinity text",
        "exponent text",
        "spaces",
        "empty text",
        "comma",
        "absurd float",
        "absurd integer",
        "absurd text",
        "float noise",
        "true",
        "null",
        "array",
        "object",
    ],
)
def test_a_bad_price_is_refused(price: Any, says: str) -> None:
    [found] = refusal(item(unit_price=price))

    assert found["field"] == "items.0.unit_price"
    assert says in found["reason"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_json_nan_and_infinity_are_not_prices(literal: bytes) -> None:
    raw = item(unit_price="PRICE").replace(b'"PRICE"', literal)

    [found] = refusal(raw)

    assert found["field"] == "items.0.unit_price"
    assert "finite number" in found["reason"]


def test_an_order_whose_total_is_too_large_is_refused() -> None:
    big = {"sku": "GOLD", "quantity": 10_000, "unit_price": "9999999999.99"}

    [found] = refusal(body(items=[big]))

    assert found["field"] == "total"


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"customer_id": 42}, "customer_id", "valid string"),
        ({"customer_id": ""}, "customer_id", "at least 1 character"),
        ({"customer_id": "x" * 101}, "customer_id", "at most 100 characters"),
        ({"items": {"sku": "PEN"}}, "items", "valid array"),
        ({"items": [PEN | {"sku": 7}]}, "items.0.sku", "valid string"),
        ({"items": [PEN | {"sku": "PEN RED"}]}, "items.0.sku", "match pattern"),
    ],
    ids=[
        "customer a number",
        "customer empty",
        "customer too long",
        "items not a list",
        "sku a number",
        "sku with a space",
    ],
)
def test_wrong_types_and_lengths_are_refused(
    changes: dict[str, Any], field: str, says: str
) -> None:
    found = refusal(body(**changes))

    assert [r["field"] for r in found] == [field]
    assert says in found[0]["reason"]


@pytest.mark.parametrize(
    "text",
    ["ann\x00", "ann\nbob", "\x1b[31mann", "ann\x7f", "ann\u200b", "ann\u2028", "ann\x85"],
    ids=["NUL", "newline", "escape", "DEL", "zero width space", "line separator", "C1 control"],
)
@pytest.mark.parametrize("field", ["customer_id", "items.0.sku"])
def test_control_and_other_non_printable_characters_are_refused_by_name(
    text: str, field: str
) -> None:
    raw = body(customer_id=text) if field == "customer_id" else item(sku=f"PEN{text}")

    [found] = refusal(raw)

    assert found["field"] == field
    assert "must not contain control or other non-printable characters" in found["reason"]


def test_a_request_is_validated_strictly_but_events_are_decoded_as_before() -> None:
    lax = {"customer_id": "ann", "items": [PEN | {"quantity": "2"}]}
    placed = order_placed(PlaceOrder.model_validate(lax), NOW)  # the form's way: typed text
    sent = encode(placed).replace(b'"quantity":2', b'"quantity":"2"')

    with pytest.raises(ValidationError):
        order_request(json.dumps(lax).encode())
    assert decode_event(sent) == placed


def test_an_accepted_request_becomes_the_first_event_of_a_new_workflow() -> None:
    request = order_request(body())

    placed = order_placed(request, NOW)
    again = order_placed(request, NOW)

    assert placed.event_type == "OrderPlaced"
    assert placed.causation_id is None
    assert placed.producer == "orders"
    assert placed.occurred_at == NOW
    assert placed.order.customer_id == "ann"
    assert [(line.sku, line.quantity, line.unit_price) for line in placed.order.lines] == [
        (i.sku, i.quantity, i.unit_price) for i in request.items
    ]
    assert placed.order.total == Decimal("7.25")
    assert (again.event_id, again.correlation_id) != (placed.event_id, placed.correlation_id)


def test_a_keyed_request_becomes_the_same_first_event_whenever_it_is_repeated() -> None:
    request = order_request(body())

    placed = order_placed(request, NOW, key="order-ann-1")
    later = order_placed(request, datetime(2024, 5, 2, tzinfo=UTC), key="order-ann-1")
    other = order_placed(request, NOW, key="order-ann-2")

    assert (later.event_id, later.correlation_id) == (placed.event_id, placed.correlation_id)
    assert (other.event_id, other.correlation_id) != (placed.event_id, placed.correlation_id)
    assert str(placed.event_id) != placed.correlation_id
