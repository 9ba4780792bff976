"""Inventory service: reserves an order's stock line by line on each SKU's own partition."""

from aiokafka import ConsumerRecord

from eventcollab.agents import command_in, event_in, ignores
from eventcollab.clock import now
from eventcollab.domain import dated, inventory
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.models import OrderCancelling, PaymentAuthorized, StockCommand
from eventcollab.retention import passed_over
from eventcollab.runtime.processor import Handler, ProcessorSpec
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.sweep import sweeping
from eventcollab.topics import Topics


def start_chains(topics: Topics) -> Handler:
    """Starts the reservation chain of every authorized order and the withdrawal chain of every
    cancelled one; keeps no state of its own."""

    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        if ignores(record, inventory.STARTS_CHAIN):
            return
        event = event_in(record)
        if isinstance(event, PaymentAuthorized):
            first: StockCommand = inventory.start_reservation(event)
            work.emit(topics.stock_commands, first.sku, first)
        elif isinstance(event, OrderCancelling):
            first = inventory.start_withdrawal(event)
            work.emit(topics.stock_commands, first.sku, first)

    return handle


def keep_stock(topics: Topics) -> Handler:
    """The single writer of each SKU's stock level, keyed and partitioned by SKU.

    A ledger entry is dated by the event that started its command's chain; a command whose
    cause is past the retention horizon and finds no entry is passed over.
    """

    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        command = command_in(record)
        entry_key = inventory.ledger_key(command)
        entry = work.load("stock_ledger", entry_key, LedgerEntry)
        cause_at = inventory.occurred_at(command)  # None: a restock, kept for good
        if cause_at is not None and passed_over(cause_at, entry, work.horizon):
            work.passed_over += 1
            return
        decision = inventory.apply(
            work.load("stock", command.sku, StockLevel), entry, command, now()
        )
        for next_command in decision.commands:
            work.emit(topics.stock_commands, next_command.sku, next_command)
        for event in decision.events:
            work.emit(topics.inventory, event.correlation_id, event)
        # Level and ledger entry reach the changelog in one record batch, and RocksDB in one
        # write batch: a crash keeps both or neither.
        if decision.level is not None:
            work.save("stock", command.sku, decision.level)
        kept = decision.entry if cause_at is None else dated(entry, decision.entry, cause_at)
        if kept is not None:
            work.save("stock_ledger", entry_key, kept)

    return handle


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    return [
        ProcessorSpec("inventory", (topics.payments, topics.cancellations), start_chains(topics)),
        # Stock levels are never removed: a SKU's level is not a workflow's.
        ProcessorSpec(
            "stock",
            (topics.stock_commands,),
            keep_stock(topics),
            ("stock", "stock_ledger"),
            tick=sweeping(settings, {"stock_ledger": LedgerEntry}),
            tick_seconds=settings.state_retention_check_seconds,
        ),
    ]
