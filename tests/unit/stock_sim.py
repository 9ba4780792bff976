"""The stock keeper simulated over per-SKU stock and a ledger, as the agent runs it."""

from collections import deque
from uuid import uuid4

from builders import T0

from eventcollab.domain import inventory
from eventcollab.domain.inventory import LedgerEntry, StockDecision, StockLevel
from eventcollab.models import AddStock, Event, StockCommand

Stock = dict[str, StockLevel]
Ledger = dict[str, LedgerEntry]


def apply_one(stock: Stock, ledger: Ledger, command: StockCommand) -> StockDecision:
    key = inventory.ledger_key(command)
    decision = inventory.apply(stock.get(command.sku), ledger.get(key), command, T0)
    if decision.level is not None:
        stock[command.sku] = decision.level
    if decision.entry is not None:
        ledger[key] = decision.entry
    return decision


def run_chain(
    stock: Stock,
    ledger: Ledger,
    first_command: StockCommand,
    applied: list[StockCommand] | None = None,
) -> list[Event]:
    pending, events = deque([first_command]), []
    while pending:
        command = pending.popleft()
        if applied is not None:
            applied.append(command)
        decision = apply_one(stock, ledger, command)
        pending.extend(decision.commands)
        events.extend(decision.events)
    return events


def restock(stock: Stock, ledger: Ledger, **quantities: int) -> None:
    for sku, quantity in quantities.items():
        run_chain(stock, ledger, AddStock(command_id=uuid4(), sku=sku, quantity=quantity))


def levels(stock: Stock) -> dict[str, int]:
    return {sku: level.available for sku, level in stock.items()}


def kinds(ledger: Ledger) -> dict[str, str]:
    return {key.split("/")[0]: entry.kind for key, entry in ledger.items() if entry.kind != "added"}
