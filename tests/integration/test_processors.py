"""Each service's processor on a real RocksDB store with faked Kafka clients: a story each."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from eventcollab.codec import decode_event, decode_stock_command, encode
from eventcollab.domain.inventory import StockLevel
from eventcollab.models import AddStock, Order, OrderLine, OrderPlaced
from eventcollab.workflow import WorkflowState
from tests.integration.processors import Harness


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


async def test_payments_authorizes_once_for_a_redelivered_order(tmp_path: Path) -> None:
    payments = Harness("payments", tmp_path)
    placed = order_placed()

    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    [authorization] = payments.producer.published(payments.names.payments)
    event = decode_event(authorization.value or b"")
    assert event.event_type == "PaymentAuthorized"
    assert authorization.key == placed.correlation_id.encode()
    assert event.causation_id == placed.event_id


async def test_payments_declines_over_the_limit(tmp_path: Path) -> None:
    payments = Harness("payments", tmp_path)
    placed = order_placed("1000.01")

    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    [decline] = payments.emitted(payments.names.payments)
    assert decode_event(decline).event_type == "PaymentDeclined"


async def test_an_undecodable_record_is_set_aside_and_its_offset_committed(tmp_path: Path) -> None:
    payments = Harness("payments", tmp_path)
    placed = order_placed()

    await payments.feed(
        payments.names.orders, placed.correlation_id, b'{"event_type": "Nonsense"}', encode(placed)
    )

    assert len(payments.emitted(payments.names.payments)) == 1
    assert len(payments.emitted(payments.names.dead_letters)) == 1
    [commit] = payments.consumer.commits
    assert list(commit.values()) == [2]  # past both records


async def test_inventory_starts_the_reservation_on_the_first_lines_sku(tmp_path: Path) -> None:
    payments, inventory = Harness("payments", tmp_path), Harness("inventory", tmp_path)
    placed = order_placed()
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    [authorization] = payments.emitted(payments.names.payments)

    await inventory.feed(inventory.names.payments, placed.correlation_id, authorization)

    [request] = inventory.producer.published(inventory.names.stock_commands)
    assert request.key == b"PEN"
    assert decode_stock_command(request.value or b"").command_type == "ReserveStock"


async def test_stock_keeper_reserves_restocked_units_once(tmp_path: Path) -> None:
    payments, inventory = Harness("payments", tmp_path), Harness("inventory", tmp_path)
    stock = Harness("stock", tmp_path)
    placed = order_placed()
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    await inventory.feed(
        inventory.names.payments, placed.correlation_id, *payments.emitted(payments.names.payments)
    )
    [reserve] = inventory.emitted(inventory.names.stock_commands)
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=1))

    await stock.feed(stock.names.stock_commands, "PEN", restock, reserve, reserve)

    [reserved] = stock.emitted(stock.names.inventory)
    assert decode_event(reserved).event_type == "StockReserved"
    assert stock.processor.lookup("stock", "PEN", StockLevel) == StockLevel(available=0)


async def test_tracker_keeps_the_status_per_correlation_id(tmp_path: Path) -> None:
    tracker = Harness("tracker", tmp_path)
    placed = order_placed()

    await tracker.feed(tracker.names.orders, placed.correlation_id, encode(placed), encode(placed))

    state = tracker.processor.lookup("workflows", placed.correlation_id, WorkflowState)
    assert state is not None and state.status == "in_progress"
    assert [e.event_type for e in state.timeline] == ["OrderPlaced"]
    assert tracker.emitted(tracker.names.orders) == []


async def test_shipping_and_orders_carry_a_reserved_order_to_completion(tmp_path: Path) -> None:
    payments, inventory = Harness("payments", tmp_path), Harness("inventory", tmp_path)
    stock, shipping = Harness("stock", tmp_path), Harness("shipping", tmp_path)
    orders = Harness("orders", tmp_path)
    placed = order_placed()
    cid = placed.correlation_id
    await payments.feed(payments.names.orders, cid, encode(placed))
    await inventory.feed(inventory.names.payments, cid, *payments.emitted(payments.names.payments))
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=5))
    await stock.feed(
        stock.names.stock_commands,
        "PEN",
        restock,
        *inventory.emitted(inventory.names.stock_commands),
    )
    [reserved] = stock.emitted(stock.names.inventory)

    await shipping.feed(shipping.names.inventory, cid, reserved, reserved)
    [scheduled] = shipping.emitted(shipping.names.shipments)
    await orders.feed(orders.names.shipments, cid, scheduled)

    [completed] = orders.producer.published(orders.names.orders)
    assert decode_event(completed.value or b"").event_type == "OrderCompleted"
    assert completed.key == cid.encode()
