"""Builders for unit tests: orders, the first event of a workflow, and whole paths through it.

Every call makes fresh uuid4 ids; every later event comes from the real domain functions, so the
tests follow the chain the services actually produce.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.domain.inventory import StockLevel
from eventcollab.models import (
    Event,
    Order,
    OrderLine,
    OrderPlaced,
    PaymentAuthorized,
    PaymentDeclined,
    StockReserved,
    StockUnavailable,
)

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
LIMIT = Decimal("1000.00")


def at(seconds: int) -> datetime:
    """A fixed UTC instant, `seconds` after T0: distinct times keep timelines unambiguous."""
    return T0 + timedelta(seconds=seconds)


def line(sku: str = "PEN", quantity: int = 1, unit_price: str = "10.00") -> OrderLine:
    return OrderLine(sku=sku, quantity=quantity, unit_price=Decimal(unit_price))


def order(*lines: OrderLine, customer_id: str = "ann") -> Order:
    return Order.of(customer_id, lines or (line(),))


def order_placed(an_order: Order | None = None, occurred_at: datetime = T0) -> OrderPlaced:
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=str(uuid4()),
        causation_id=None,
        occurred_at=occurred_at,
        producer="orders",
        order=an_order or order(),
    )


def authorized(placed: OrderPlaced | None = None, now: datetime = T0) -> PaymentAuthorized:
    """The PaymentAuthorized that payments emits for `placed` (a fresh one when None)."""
    (event,) = payments.decide(None, placed or order_placed(), LIMIT, now).events
    assert isinstance(event, PaymentAuthorized)
    return event


def authorized_for(*lines: OrderLine) -> PaymentAuthorized:
    return authorized(order_placed(order(*lines)))


def declined(placed: OrderPlaced, now: datetime = T0) -> PaymentDeclined:
    (event,) = payments.decide(None, placed, Decimal("0.01"), now).events
    assert isinstance(event, PaymentDeclined)
    return event


def reserved(cause: PaymentAuthorized, now: datetime = T0) -> StockReserved:
    """StockReserved for a single-line order, reserved from exactly enough stock."""
    command = inventory.start_reservation(cause)
    level = StockLevel(available=command.line.quantity)
    (event,) = inventory.apply(level, None, command, now).events
    assert isinstance(event, StockReserved)
    return event


def unavailable(cause: PaymentAuthorized, now: datetime = T0) -> StockUnavailable:
    """StockUnavailable for a single-line order whose SKU has no stock at all."""
    (event,) = inventory.apply(None, None, inventory.start_reservation(cause), now).events
    assert isinstance(event, StockUnavailable)
    return event


def short_on_second_line(now: datetime = T0) -> tuple[Event, ...]:
    """(StockReleased, StockUnavailable) of a two-line order: line 0 reserved, line 1 short."""
    cause = authorized_for(line("PEN"), line("INK"))
    first = inventory.apply(StockLevel(available=5), None, inventory.start_reservation(cause), now)
    (reserve_second,) = first.commands
    refused = inventory.apply(None, None, reserve_second, now)
    (release_first,) = refused.commands
    return inventory.apply(StockLevel(available=4), first.entry, release_first, now).events


def happy_path() -> list[Event]:
    """OrderPlaced .. OrderCompleted, one second apart."""
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, at(1))
    stock = reserved(paid, at(2))
    (scheduled,) = shipping.decide(None, stock, at(3)).events
    (completed,) = orders.decide(None, scheduled, at(4)).events
    return [placed, paid, stock, scheduled, completed]


def declined_path() -> list[Event]:
    placed = order_placed(occurred_at=at(0))
    refusal = declined(placed, at(1))
    (rejected,) = orders.decide(None, refusal, at(2)).events
    return [placed, refusal, rejected]


def out_of_stock_path() -> list[Event]:
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, at(1))
    payment = payments.decide(None, placed, LIMIT, at(1)).state
    missing = unavailable(paid, at(2))
    (refunded,) = payments.decide(payment, missing, LIMIT, at(3)).events
    (cancelled,) = orders.decide(None, refunded, at(4)).events
    return [placed, paid, missing, refunded, cancelled]
