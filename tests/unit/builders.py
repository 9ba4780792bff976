"""Builders for unit tests: orders, the first event of a workflow, and whole paths through it.

Every call makes fresh uuid4 ids; every later event comes from the real domain functions, so the
tests follow the chain the services actually produce.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from eventcollab import deadlines
from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.domain.inventory import StockLevel
from eventcollab.models import (
    CancelRequested,
    Event,
    Order,
    OrderCancelling,
    OrderLine,
    OrderPlaced,
    PaymentAuthorized,
    PaymentDeclined,
    StockReserved,
    StockUnavailable,
)
from eventcollab.workflow import WorkflowState, apply

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


LIMITS = deadlines.Deadlines(authorize=10, reserve=20, schedule=30)


def cancel_requested(placed: OrderPlaced, now: datetime) -> CancelRequested:
    return CancelRequested(
        event_id=uuid4(),
        correlation_id=placed.correlation_id,
        causation_id=None,
        occurred_at=now,
        producer="orders",
        order=placed.order,
        reason="changed my mind",
    )


def fold(events: list[Event]) -> WorkflowState:
    state = None
    for event in events:
        state = apply(state, event) or state
    assert state is not None
    return state


def cancelled_path() -> list[Event]:
    """A customer cancels an order whose payment is authorized and stock not reserved yet."""
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, at(1))
    payment = payments.decide(None, placed, LIMIT, at(1)).state
    request = cancel_requested(placed, at(2))
    cancelling = orders.decide(None, request, at(3))
    (started,) = cancelling.events
    assert isinstance(started, OrderCancelling)
    (refunded,) = payments.decide(payment, started, LIMIT, at(4)).events
    withdrawal = inventory.apply(None, None, inventory.start_withdrawal(started), at(5))
    (released,) = withdrawal.events
    waiting = orders.decide(cancelling.state, refunded, at(6)).state
    (cancelled,) = orders.decide(waiting, released, at(7)).events
    return [placed, paid, request, started, refunded, released, cancelled]


def timed_out_path() -> list[Event]:
    """Shipping misses its deadline: refund, release, cancel; then a shipment comes late and
    is cancelled by shipping."""
    placed = order_placed(occurred_at=at(0))
    paid = authorized(placed, at(1))
    payment = payments.decide(None, placed, LIMIT, at(1)).state
    stock = reserved(paid, at(2))
    report = deadlines.overdue(fold([placed, paid, stock]), LIMITS, at(40))
    assert report is not None
    cancelling = orders.decide(None, report, at(41))
    (started,) = cancelling.events
    assert isinstance(started, OrderCancelling)
    (refunded,) = payments.decide(payment, started, LIMIT, at(42)).events
    command = inventory.start_withdrawal(started)
    held = inventory.LedgerEntry(kind="reserved", quantity=command.cause.order.lines[0].quantity)
    (released,) = inventory.apply(StockLevel(available=0), held, command, at(43)).events
    waiting = orders.decide(cancelling.state, refunded, at(44)).state
    (cancelled,) = orders.decide(waiting, released, at(45)).events
    late = shipping.decide(None, stock, at(46))
    (scheduled,) = late.events
    (unshipped,) = shipping.decide(late.state, started, at(47)).events
    return [
        placed,
        paid,
        stock,
        report,
        started,
        refunded,
        released,
        cancelled,
        scheduled,
        unshipped,
    ]


def unpaid_timeout_path() -> list[Event]:
    """Payments misses its deadline: nothing to refund or release, the order is cancelled."""
    placed = order_placed(occurred_at=at(0))
    report = deadlines.overdue(fold([placed]), LIMITS, at(11))
    assert report is not None
    cancelling = orders.decide(None, report, at(12))
    (started,) = cancelling.events
    assert isinstance(started, OrderCancelling)
    (voided,) = payments.decide(None, started, LIMIT, at(13)).events
    (released,) = inventory.apply(None, None, inventory.start_withdrawal(started), at(14)).events
    waiting = orders.decide(cancelling.state, voided, at(15)).state
    (cancelled,) = orders.decide(waiting, released, at(16)).events
    return [placed, report, started, voided, released, cancelled]
