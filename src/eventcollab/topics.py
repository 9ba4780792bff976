"""Every topic, declared once, with its single writer and what it carries."""

from dataclasses import dataclass
from typing import Any

from eventcollab.settings import Settings


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    writer: str
    keyed_by: str
    carries: tuple[str, ...]


ORDERS = TopicSpec(
    "orders",
    "orders",
    "correlation id",
    ("OrderPlaced", "OrderCompleted", "OrderRejected", "OrderCancelled"),
)
PAYMENTS = TopicSpec(
    "payments",
    "payments",
    "correlation id",
    ("PaymentAuthorized", "PaymentDeclined", "PaymentRefunded"),
)
INVENTORY = TopicSpec(
    "inventory",
    "inventory",
    "correlation id",
    ("StockReserved", "StockUnavailable", "StockReleased"),
)
SHIPMENTS = TopicSpec("shipments", "shipping", "correlation id", ("ShipmentScheduled",))
# Inside the inventory service: stock of a SKU changes only on that SKU's partition.
STOCK_COMMANDS = TopicSpec(
    "stock-commands", "inventory", "sku", ("ReserveStock", "ReleaseStock", "AddStock")
)

WORKFLOW_TOPICS = (ORDERS, PAYMENTS, INVENTORY, SHIPMENTS)
ALL_TOPICS = (*WORKFLOW_TOPICS, STOCK_COMMANDS)

# Keys are plain UTF-8 strings and values are JSON bytes encoded by eventcollab.codec; the same
# raw key serializer everywhere keeps a topic's partition and a table's partition for a key equal.
WIRE_FORMAT: dict[str, Any] = {
    "key_type": str,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass(frozen=True, slots=True)
class Topics:
    orders: Any
    payments: Any
    inventory: Any
    shipments: Any
    stock_commands: Any

    def all(self) -> tuple[Any, ...]:
        return (self.orders, self.payments, self.inventory, self.shipments, self.stock_commands)


def channel(app: Any, settings: Settings, *specs: TopicSpec) -> Any:
    """A Faust topic over one or more of the declared topics, to send to or consume from."""
    names = [settings.topic_name(spec.name) for spec in specs]
    return app.topic(*names, partitions=settings.partitions, **WIRE_FORMAT)


def declare(app: Any, settings: Settings) -> Topics:
    return Topics(
        orders=channel(app, settings, ORDERS),
        payments=channel(app, settings, PAYMENTS),
        inventory=channel(app, settings, INVENTORY),
        shipments=channel(app, settings, SHIPMENTS),
        stock_commands=channel(app, settings, STOCK_COMMANDS),
    )
