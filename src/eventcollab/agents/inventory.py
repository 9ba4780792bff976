"""Inventory service: reserves an order's stock line by line on each SKU's own partition."""

from typing import Any

from eventcollab.agents import acknowledged, decoded, now, publish
from eventcollab.codec import decode_event, decode_stock_command, encode, load, store
from eventcollab.domain import inventory
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.models import PaymentAuthorized, StockCommand
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import PAYMENTS, STOCK_COMMANDS, Topics, channel
from eventcollab.web import install_stock_view


async def send_commands(topic: Any, commands: tuple[StockCommand, ...]) -> list[Any]:
    """Hand commands to the producer, keyed by SKU; returns the pending acks."""
    return [await topic.send(key=c.sku, value=encode(c)) for c in commands]


def install(app: Any, settings: Settings, topics: Topics) -> tuple[Any, Any]:
    stock = state_table(app, settings, "stock")
    ledger = state_table(app, settings, "stock_ledger")
    install_stock_view(app, stock)

    @app.agent(channel(app, settings, PAYMENTS), name="inventory")
    async def inventory_service(stream: Any) -> None:
        """Starts the reservation chain of every authorized order; keeps no state of its own."""
        async for event in decoded(stream, decode_event):
            if isinstance(event, PaymentAuthorized):
                first = inventory.start_reservation(event)
                await send_commands(topics.stock_commands, (first,))

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
            # As in agents.react: the ledger entry is stored only once its effects are on the
            # broker. The level goes first: a crash between the two writes can only leave stock
            # under-counted, never oversold.
            await acknowledged(
                await send_commands(topics.stock_commands, decision.commands)
                + await publish(topics.inventory, decision.events)
            )
            if decision.level is not None:
                store(stock, command.sku, decision.level)
            if decision.entry is not None:
                store(ledger, entry_key, decision.entry)

    return inventory_service, stock_keeper
