"""State tables: one changelog topic per processor, one partition count with the topics.

A processor's tables live in RocksDB under `<data dir>/<app id>-<processor>/<partition>.db` and in
the compacted topic `<prefix><app id>-<processor>-changelog`, whose record keys are
`<table>/<key>`. Each key lives on the partition of the inputs that change it.
"""

# name -> (owning processor, key, what a value holds)
TABLES = {
    "workflows": ("tracker", "correlation id", "workflow.WorkflowState"),
    "workflows_by_status": ("tracker", "status/newest-first start/correlation id", "index.Summary"),
    "status_counts": ("tracker", "status", "index.Count"),
    "finished_per_minute": ("tracker", "YYYY-MM-DDTHH:MM", "index.Count"),
    "retired_counts": ("tracker", "outcome", "index.Count"),
    "order_outcomes": ("orders", "correlation id", "domain.orders.OrderOutcome"),
    "payments": ("payments", "correlation id", "domain.payments.Payment"),
    "shipments": ("shipping", "correlation id", "domain.shipping.Shipment"),
    "stock": ("stock", "sku", "domain.inventory.StockLevel"),
    "stock_ledger": ("stock", "sku/correlation id", "domain.inventory.LedgerEntry"),
}
