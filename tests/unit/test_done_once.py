"""Work done once instead of again and again: orders validated recently, derived event ids."""

import json
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest
from pydantic import ValidationError

from eventcollab.models import EVENT_NAMESPACE, RECENT_ORDERS, Order, RecentOrders, derived_id


def order_input(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": "ann",
        "lines": [
            {"sku": "PEN", "quantity": 2, "unit_price": "1.50"},
            {"sku": "INK", "quantity": 1, "unit_price": "4.00"},
        ],
        "total": "7.00",
    }
    return body | changes


def test_an_order_read_again_is_the_order_validated_before() -> None:
    raw = json.dumps(order_input(customer_id="memo-1")).encode()

    first = Order.model_validate_json(raw)
    again = Order.model_validate_json(raw)

    assert again is first
    assert again == Order.model_validate(order_input(customer_id="memo-1"))


def test_an_order_refused_is_refused_every_time() -> None:
    raw = json.dumps(order_input(customer_id="memo-2", total="7.01")).encode()

    for _ in range(2):
        with pytest.raises(ValidationError, match="sum of the lines"):
            Order.model_validate_json(raw)
    assert all(order.customer_id != "memo-2" for order in RECENT_ORDERS.orders.values())


def test_an_input_differing_only_in_a_type_is_validated_on_its_own() -> None:
    valid = order_input(customer_id="memo-3")
    Order.model_validate(valid)
    as_bool = order_input(customer_id="memo-3")
    as_bool["lines"][1]["quantity"] = True  # equal to 1, and hashed like it
    as_float = order_input(customer_id="memo-3", total=7.0)

    assert RecentOrders.key_of(valid) is not None
    assert RecentOrders.key_of(as_bool) is None
    assert RecentOrders.key_of(as_float) is None


def test_the_key_spells_out_where_each_value_sits() -> None:
    one_line = order_input(lines=[{"sku": "PEN", "quantity": 1, "unit_price": "1.50"}])
    moved = order_input(lines=[{"sku": "PEN", "quantity": 1}], unit_price="1.50")
    split = order_input(
        lines=[{"sku": "PEN"}, {"quantity": 1, "unit_price": "1.50"}],
    )
    keys = {RecentOrders.key_of(body) for body in (one_line, moved, split)}

    assert len(keys) == 3
    with pytest.raises(ValidationError):
        Order.model_validate(moved)


def test_the_oldest_orders_leave_first() -> None:
    recent = RecentOrders(size=2)
    orders = [Order.model_validate(order_input(customer_id=f"memo-4-{n}")) for n in range(3)]

    for number, order in enumerate(orders):
        recent.add(("key", number), order)

    assert recent.get(("key", 0)) is None
    assert recent.get(("key", 1)) is orders[1]
    assert recent.get(("key", 2)) is orders[2]


def test_derived_ids_are_the_uuid5_of_their_cause_and_kind() -> None:
    causes = [uuid4() for _ in range(200)] + [UUID(int=0), UUID(int=2**128 - 1)]
    kinds = ("PaymentAuthorized", "StepOverdue", "stray shipment", "ünïcode kind", "")

    for cause in causes:
        for kind in kinds:
            assert derived_id(cause, kind) == uuid5(EVENT_NAMESPACE, f"{cause}/{kind}")
