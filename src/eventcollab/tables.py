"""State tables: changelog-backed, RocksDB-stored, one partition count with the topics."""

from typing import Any

from eventcollab.settings import Settings

# name -> (owning service, key, what a value holds)
TABLES = {
    "workflows": ("tracker", "correlation id", "workflow.WorkflowState"),
    "order_outcomes": ("orders", "correlation id", "domain.orders.OrderOutcome"),
    "payments": ("payments", "correlation id", "domain.payments.Payment"),
    "shipments": ("shipping", "correlation id", "domain.shipping.Shipment"),
    "stock": ("inventory", "sku", "domain.inventory.StockLevel"),
    "stock_ledger": ("inventory", "sku/correlation id", "domain.inventory.LedgerEntry"),
}


def state_table(app: Any, settings: Settings, name: str) -> Any:
    service, key, value = TABLES[name]
    return app.Table(
        name,
        partitions=settings.partitions,
        help=f"{service}: {value} by {key}",
        # bytes in and out means Faust's raw codec for both: keys are serialized exactly as on
        # the topics (never JSON-quoted), so a key maps to the same partition in both.
        key_type=bytes,
        value_type=bytes,
    )
