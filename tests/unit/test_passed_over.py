"""The services' handlers, without Kafka: an event past the retention horizon that finds no
state is passed over and counted; one that finds its state is decided as always."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

from aiokafka import ConsumerRecord
from builders import T0, at, authorized, cancel_requested, line, order, order_placed, unavailable

from eventcollab.agents import inventory as inventory_service
from eventcollab.agents import payments as payments_service
from eventcollab.codec import decode_event, encode
from eventcollab.domain import inventory, orders
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.domain.payments import Payment
from eventcollab.models import AddStock, Event, OrderCancelling, OrderPlaced, StockCommand
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.processor import Handler
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import declare

SETTINGS = Settings(payment_limit=Decimal("1000"))
NAMES = declare(SETTINGS)
HORIZON = T0 + timedelta(hours=1)  # every event of the builders is past it
Record = ConsumerRecord[bytes, bytes]


def record(topic: str, value: Event | StockCommand, raw: bytes | None = None) -> Record:
    """Keyed as the services key it: an event by its workflow, a command by its SKU."""
    key = value.sku if isinstance(value, StockCommand) else value.correlation_id
    raw = raw or encode(value)
    return ConsumerRecord(topic, 0, 0, 0, 0, key.encode(), raw, None, len(key), len(raw), ())


def handler_of(name: str) -> Handler:
    build = inventory_service if name == "stock" else payments_service
    [spec] = [s for s in build.processors(SETTINGS, NAMES) if s.name == name]
    return spec.handler


def handled(handler: Handler, store: MemoryStore, one: Record, limit: datetime | None) -> Work:
    work = Work(store, 1_000_000, horizon=limit)
    work.savepoint()
    handler(work, one)
    store.write(work.changes)
    return work


def stored_payment(store: MemoryStore, placed: OrderPlaced) -> Payment | None:
    raw = store.partition(0).get(f"payments/{placed.correlation_id}".encode())
    return None if raw is None else Payment.model_validate_json(raw)


def test_an_old_order_whose_payment_is_gone_is_passed_over_and_counted() -> None:
    store, placed = MemoryStore(), order_placed()

    work = handled(handler_of("payments"), store, record(NAMES.orders, placed), HORIZON)

    assert (work.outputs, dict(work.changes), work.passed_over) == ([], {}, 1)


def test_an_order_within_the_horizon_is_charged_and_its_payment_dated_by_it() -> None:
    store, placed = MemoryStore(), order_placed()

    work = handled(handler_of("payments"), store, record(NAMES.orders, placed), T0)

    [(topic, _, raw)] = work.outputs
    assert (topic, decode_event(raw).event_type, work.passed_over) == (
        NAMES.payments,
        "PaymentAuthorized",
        0,
    )
    payment = stored_payment(store, placed)
    assert payment is not None and payment.last_event_at == placed.occurred_at


def test_an_old_event_that_finds_its_payment_is_decided_as_always() -> None:
    store, placed = MemoryStore(), order_placed(occurred_at=at(0))
    handled(handler_of("payments"), store, record(NAMES.orders, placed), None)
    missing = unavailable(authorized(placed, at(1)), at(2))

    work = handled(handler_of("payments"), store, record(NAMES.inventory, missing), HORIZON)

    [(_, _, raw)] = work.outputs
    assert decode_event(raw).event_type == "PaymentRefunded"
    payment = stored_payment(store, placed)
    assert payment is not None and (payment.status, payment.last_event_at) == ("refunded", at(2))


def test_without_a_horizon_nothing_is_passed_over() -> None:
    # As in a replay, a rebuild or a shadow run: the log folded as the worker first decided it.
    work = handled(
        handler_of("payments"), MemoryStore(), record(NAMES.orders, order_placed()), None
    )
    assert (len(work.outputs), work.passed_over) == (1, 0)


def test_a_type_the_service_does_not_react_to_is_not_counted_even_when_decoded() -> None:
    paid = authorized(order_placed())
    # Written by another encoder, its type last: it is decoded to be known.
    body = paid.model_dump(mode="json")
    foreign = json.dumps({**body, "event_type": body.pop("event_type")}).encode()
    one = record(NAMES.payments, paid, foreign)

    work = handled(handler_of("payments"), MemoryStore(), one, HORIZON)

    assert (work.outputs, work.passed_over) == ([], 0)


def test_an_old_reservation_whose_ledger_entry_is_gone_reserves_nothing() -> None:
    store = MemoryStore()
    store.partition(0).write({b"stock/PEN": encode(StockLevel(available=5))})
    command = inventory.start_reservation(authorized(order_placed(order(line("PEN", 2)))))

    work = handled(handler_of("stock"), store, record(NAMES.stock_commands, command), HORIZON)

    assert (work.outputs, dict(work.changes), work.passed_over) == ([], {}, 1)


def test_an_old_withdrawal_that_finds_its_entry_moves_its_time_on() -> None:
    store, placed = MemoryStore(), order_placed(order(line("PEN", 2)), occurred_at=at(0))
    key = f"stock_ledger/PEN/{placed.correlation_id}".encode()
    refused = LedgerEntry(kind="refused", quantity=2, last_event_at=at(1))
    store.partition(0).write({key: encode(refused)})
    (cancelled,) = orders.decide(None, cancel_requested(placed, at(7)), at(8)).events
    assert isinstance(cancelled, OrderCancelling)
    cancelling = inventory.start_withdrawal(cancelled)

    work = handled(handler_of("stock"), store, record(NAMES.stock_commands, cancelling), HORIZON)

    [(_, _, raw)] = work.outputs  # StockReleased, with no line released
    assert decode_event(raw).event_type == "StockReleased"
    moved = LedgerEntry.model_validate_json(store.partition(0).get(key) or b"")
    assert moved == refused.model_copy(update={"last_event_at": at(8)})


def test_a_restock_is_never_passed_over_and_its_entry_has_no_time() -> None:
    restock = AddStock(command_id=order_placed().event_id, sku="PEN", quantity=3)
    store = MemoryStore()

    work = handled(handler_of("stock"), store, record(NAMES.stock_commands, restock), HORIZON)

    assert work.passed_over == 0
    entry = store.partition(0).get(f"stock_ledger/PEN/{restock.command_id}".encode())
    assert entry is not None
    assert LedgerEntry.model_validate_json(entry) == LedgerEntry(kind="added", quantity=3)
