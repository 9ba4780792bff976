"""Serialization: every event and stock command survives the wire; bad bytes are refused."""

import json
from typing import Any, get_args
from uuid import uuid4

import pytest
from builders import (
    T0,
    authorized_for,
    cancelled_path,
    declined_path,
    happy_path,
    line,
    out_of_stock_path,
    short_on_second_line,
    timed_out_path,
    unpaid_timeout_path,
)
from pydantic import ValidationError

from eventcollab.codec import decode_event, decode_stock_command, encode
from eventcollab.domain import inventory
from eventcollab.domain.inventory import StockLevel
from eventcollab.models import AddStock, Event, Order, WorkflowEvent

EVENT_TYPES = sorted(
    kind.model_fields["event_type"].default for kind in get_args(get_args(WorkflowEvent)[0])
)
ENVELOPE = {"event_id", "event_type", "correlation_id", "causation_id", "occurred_at", "producer"}


def one_of_each() -> dict[str, Event]:
    """One event of every workflow type, each produced by the domain."""
    events = [
        *happy_path(),
        *declined_path(),
        *out_of_stock_path(),
        *short_on_second_line(),
        *cancelled_path(),
        *timed_out_path(),
        *unpaid_timeout_path(),
    ]
    return {event.event_type: event for event in events}


def test_the_builders_produce_every_workflow_event_type() -> None:
    assert sorted(one_of_each()) == EVENT_TYPES
    assert len(EVENT_TYPES) == 16


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_workflow_event_round_trips(event_type: str) -> None:
    event = one_of_each()[event_type]

    decoded = decode_event(encode(event))

    assert type(decoded) is type(event)
    assert decoded == event


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_the_encoded_event_carries_its_envelope_at_top_level(event_type: str) -> None:
    event = one_of_each()[event_type]

    body = json.loads(encode(event))

    assert set(body) >= ENVELOPE
    assert body["event_type"] == event_type
    assert body["event_id"] == str(event.event_id)
    assert body["correlation_id"] == event.correlation_id


def encoded_placed(**changes: Any) -> bytes:
    body = json.loads(encode(happy_path()[0]))
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    "changes",
    [
        {"event_type": "OrderShipped"},
        {"event_id": ...},
        {"correlation_id": ...},
        {"order": ...},
        {"surprise": 1},
    ],
    ids=["unknown type", "no event_id", "no correlation_id", "no order", "extra field"],
)
def test_a_malformed_event_is_refused(changes: dict[str, Any]) -> None:
    assert decode_event(encoded_placed())  # the untouched body decodes

    with pytest.raises(ValidationError):
        decode_event(encoded_placed(**changes))


def test_an_order_whose_total_is_not_the_sum_of_its_lines_is_refused() -> None:
    good = {"customer_id": "ann", "lines": [line("PEN", 2, "1.50").model_dump()], "total": "3.00"}

    assert Order.model_validate(good).total == 3
    with pytest.raises(ValidationError, match="sum of the lines"):
        Order.model_validate({**good, "total": "3.01"})


def test_an_event_read_off_the_wire_with_an_inconsistent_order_is_refused() -> None:
    raw = encoded_placed()
    order = json.loads(raw)["order"]

    with pytest.raises(ValidationError, match="sum of the lines"):
        decode_event(encoded_placed(order={**order, "total": "0.01"}))
    with pytest.raises(ValidationError, match="one line only"):
        decode_event(encoded_placed(order={**order, "lines": order["lines"] * 2}))


def test_an_order_with_a_sku_on_two_lines_is_refused() -> None:
    with pytest.raises(ValidationError, match="one line only"):
        Order.of("ann", (line("PEN", 1), line("PEN", 2)))


@pytest.mark.parametrize(
    ("quantity", "unit_price"),
    [(0, "1.00"), (1, "-1.00"), (1, "0"), (1, "1.005")],
    ids=["quantity 0", "negative price", "zero price", "three decimals"],
)
def test_an_order_line_out_of_range_is_refused(quantity: int, unit_price: str) -> None:
    with pytest.raises(ValidationError):
        line("PEN", quantity, unit_price)


def test_stock_commands_round_trip() -> None:
    paid = authorized_for(line("PEN"), line("INK"))
    reserve = inventory.start_reservation(paid)
    (reserve_second,) = inventory.apply(StockLevel(available=1), None, reserve, T0).commands
    (release,) = inventory.apply(None, None, reserve_second, T0).commands
    add = AddStock(command_id=uuid4(), sku="PEN", quantity=3)

    for command in (add, reserve, release):
        decoded = decode_stock_command(encode(command))
        assert type(decoded) is type(command)
        assert decoded == command
