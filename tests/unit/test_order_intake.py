"""The pure parts of the order intake: validating a request and turning it into OrderPlaced."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from eventcollab.web.orders import PlaceOrder, order_placed, reasons

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def body(**changes: Any) -> bytes:
    good = {
        "customer_id": "ann",
        "items": [
            {"sku": "PEN", "quantity": 2, "unit_price": "1.50"},
            {"sku": "INK", "quantity": 1, "unit_price": "4.25"},
        ],
    }
    good.update(changes)
    return json.dumps({k: v for k, v in good.items() if v is not ...}).encode()


def refusal(raw: bytes) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        PlaceOrder.model_validate_json(raw)
    return reasons(caught.value)


def test_a_good_body_is_accepted() -> None:
    request = PlaceOrder.model_validate_json(body())

    assert request.customer_id == "ann"
    assert [(i.sku, i.quantity, i.unit_price) for i in request.items] == [
        ("PEN", 2, Decimal("1.50")),
        ("INK", 1, Decimal("4.25")),
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"items": []}, "items"),
        ({"customer_id": ...}, "customer_id"),
        ({"items": [{"sku": "PEN", "quantity": "0", "unit_price": "1.50"}]}, "items.0.quantity"),
    ],
    ids=["empty items", "no customer_id", "quantity 0"],
)
def test_a_bad_body_is_refused_with_the_path_of_the_bad_field(
    changes: dict[str, Any], field: str
) -> None:
    found = refusal(body(**changes))

    fields = [r["field"] for r in found]
    assert field in fields
    assert {f.split(".")[0] for f in fields} == {field.split(".")[0]}  # nothing else is blamed
    assert all(r["reason"] for r in found)


def test_an_accepted_request_becomes_the_first_event_of_a_new_workflow() -> None:
    request = PlaceOrder.model_validate_json(body())

    placed = order_placed(request, NOW)
    again = order_placed(request, NOW)

    assert placed.event_type == "OrderPlaced"
    assert placed.causation_id is None
    assert placed.producer == "orders"
    assert placed.occurred_at == NOW
    assert placed.order.customer_id == "ann"
    assert placed.order.lines == request.items
    assert placed.order.total == Decimal("7.25")
    assert (again.event_id, again.correlation_id) != (placed.event_id, placed.correlation_id)
