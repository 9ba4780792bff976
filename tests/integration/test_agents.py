"""Agents driven through Faust's test harness: no broker, in-memory tables, sends captured."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from unittest.mock import AsyncMock
from uuid import uuid4

import pytest

from eventcollab.app import create_app
from eventcollab.codec import decode_event, decode_stock_command, encode
from eventcollab.models import AddStock, Order, OrderLine, OrderPlaced
from eventcollab.settings import Settings


@pytest.fixture
async def app() -> AsyncIterator[Any]:
    app = create_app(Settings(app_id=f"harness-{uuid4().hex[:8]}"), store="memory://")
    app.finalize()
    app.flow_control.resume()
    acked = asyncio.get_running_loop().create_future()  # send() returns the broker's ack
    acked.set_result(None)
    for topic in app.workflow_topics.all():
        topic.send = AsyncMock(return_value=acked)
    yield app


def sent(topic: Any) -> list[Any]:
    return [call.kwargs for call in topic.send.await_args_list]


def order_placed(total_price: str = "10.00") -> OrderPlaced:
    line = OrderLine(sku="PEN", quantity=1, unit_price=Decimal(total_price))
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=str(uuid4()),
        causation_id=None,
        occurred_at=datetime.now(UTC),
        producer="orders",
        order=Order.of("ann", (line,)),
    )


async def test_payments_agent_authorizes_once_for_a_redelivered_order(app: Any) -> None:
    placed = order_placed()
    async with app.agents["payments"].test_context() as agent:
        await agent.put(encode(placed), key=placed.correlation_id)
        await agent.put(encode(placed), key=placed.correlation_id)

    [authorization] = sent(app.workflow_topics.payments)
    event = decode_event(authorization["value"])
    assert event.event_type == "PaymentAuthorized"
    assert authorization["key"] == placed.correlation_id
    assert event.causation_id == placed.event_id


async def test_payments_agent_declines_over_the_limit(app: Any) -> None:
    placed = order_placed("5000.01")
    async with app.agents["payments"].test_context() as agent:
        await agent.put(encode(placed), key=placed.correlation_id)

    [decline] = sent(app.workflow_topics.payments)
    assert decode_event(decline["value"]).event_type == "PaymentDeclined"


async def test_an_undecodable_record_is_skipped_and_the_agent_goes_on(app: Any) -> None:
    placed = order_placed()
    async with app.agents["payments"].test_context() as agent:
        await agent.put(b'{"event_type": "Nonsense"}', key="x")
        await agent.put(encode(placed), key=placed.correlation_id)

    assert len(sent(app.workflow_topics.payments)) == 1


async def test_inventory_agent_starts_the_reservation_on_the_first_lines_sku(app: Any) -> None:
    placed = order_placed()
    async with app.agents["payments"].test_context() as payments:
        await payments.put(encode(placed), key=placed.correlation_id)
    authorization = sent(app.workflow_topics.payments)[0]["value"]

    async with app.agents["inventory"].test_context() as inventory:
        await inventory.put(authorization, key=placed.correlation_id)

    [request] = sent(app.workflow_topics.stock_commands)
    command = decode_stock_command(request["value"])
    assert request["key"] == "PEN"
    assert command.command_type == "ReserveStock"


async def test_stock_keeper_reserves_restocked_units_and_reports_reserved(app: Any) -> None:
    placed = order_placed()
    async with app.agents["payments"].test_context() as payments:
        await payments.put(encode(placed), key=placed.correlation_id)
    async with app.agents["inventory"].test_context() as inventory:
        await inventory.put(sent(app.workflow_topics.payments)[0]["value"])
    reserve = sent(app.workflow_topics.stock_commands)[0]["value"]
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=1))

    async with app.agents["stock"].test_context() as stock:
        await stock.put(restock, key="PEN")
        await stock.put(reserve, key="PEN")
        await stock.put(reserve, key="PEN")

    [reserved] = sent(app.workflow_topics.inventory)
    assert decode_event(reserved["value"]).event_type == "StockReserved"
    assert app.tables["stock"][b"PEN"] == b'{"available":0}'


async def test_tracker_agent_keeps_the_status_per_correlation_id(app: Any) -> None:
    placed = order_placed()
    async with app.agents["tracker"].test_context() as tracker:
        await tracker.put(encode(placed), key=placed.correlation_id)
        await tracker.put(encode(placed), key=placed.correlation_id)

    state = app.tables["workflows"][placed.correlation_id.encode()]
    assert b'"status":"in_progress"' in state
    assert state.count(b'"OrderPlaced"') == 1


async def test_shipping_and_orders_agents_carry_a_reserved_order_to_completion(app: Any) -> None:
    placed = order_placed()
    async with app.agents["payments"].test_context() as payments:
        await payments.put(encode(placed), key=placed.correlation_id)
    async with app.agents["inventory"].test_context() as inventory:
        await inventory.put(sent(app.workflow_topics.payments)[0]["value"])
    async with app.agents["stock"].test_context() as stock:
        await stock.put(encode(AddStock(command_id=uuid4(), sku="PEN", quantity=5)), key="PEN")
        await stock.put(sent(app.workflow_topics.stock_commands)[0]["value"], key="PEN")
    reserved = sent(app.workflow_topics.inventory)[0]["value"]

    async with app.agents["shipping"].test_context() as shipping:
        await shipping.put(reserved, key=placed.correlation_id)
        await shipping.put(reserved, key=placed.correlation_id)
    [scheduled] = sent(app.workflow_topics.shipments)
    async with app.agents["orders"].test_context() as orders:
        await orders.put(scheduled["value"], key=placed.correlation_id)

    [completed] = sent(app.workflow_topics.orders)
    assert decode_event(completed["value"]).event_type == "OrderCompleted"
    assert completed["key"] == placed.correlation_id


async def test_a_payment_is_not_stored_when_the_broker_never_acknowledges_its_event(
    app: Any,
) -> None:
    refused = asyncio.get_running_loop().create_future()
    refused.set_exception(ConnectionError("broker gone"))
    app.workflow_topics.payments.send = AsyncMock(return_value=refused)
    placed = order_placed()

    async with app.agents["payments"].test_context() as agent:
        await agent.put(encode(placed), key=placed.correlation_id)  # the agent crashes

    app.workflow_topics.payments.send.assert_awaited_once()
    assert app.tables["payments"].get(placed.correlation_id.encode()) is None
