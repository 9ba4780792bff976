"""Inventory service: reserves an order's stock line by line on each SKU's own partition."""

from typing import Any

from eventcollab.agents import decoded, now, publish
from eventcollab.codec import decode_event, decode_stock_command, encode, load, store
from eventcollab.domain import inventory
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.models import PaymentAuthorized, StockCommand
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import PAYMENTS, STOCK_COMMANDS, Topics, channel
from eventcollab.web import install_stock_view


async def send_commands(topic: Any, commands: tuple[StockCommand, ...]) -> None:
    for command in commands:
        await topic.send(key=command.sku, value=encode(command))


def install(app: Any, settings: Settings, topics: Topics) -> tuple[Any, Any]:
    stock = state_table(app, settings, "stock")
    ledger = state_table(app, settings, "stock_ledger")
    install_stock_view(app, stock)

    @app.agent(channel(app, settings, PAYMENTS), name="inventory")
    async def inventory_service(stream: Any) -> None:
        """Starts the reservation chain of every authorized order; keeps no state of its own."""
        async for event in decoded(stream, decode_event):
            if isinstance(event, PaymentAuthorized):
                await send_commands(topics.stock_commands, (inventory.start_reservation(event),))

    @app.agent(channel(app, settings, STOCK_COMMANDS), name="stock")
    async def stock_keeper(stream: Any) -> None:
        """The single writer of each SKU's stock level, keyed and partitioned by SKU."""
        async for command in decoded(stream, decode_stock_command):
            entry_key = inventory.ledger_key(command)
            decision = inventory.apply(
                load(stock, command.sku, StockLevel),
                load(ledger, entry_key, LedgerEntry),
                command,
                now(),
            )
            await send_commands(topics.stock_commands, decision.commands)
            await publish(topics.inventory, decision.events)
            if decision.level is not None:
                store(stock, command.sku, decision.level)
            if decision.entry is not None:
                store(ledger, entry_key, decision.entry)

    return inventory_service, stock_keeper
