"""Every topic, declared once, with its single writer and what it carries."""

from dataclasses import dataclass

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
# Cancellations on a topic of their own: the services that undo effects read these few records,
# not every order placed and concluded.
CANCELLATIONS = TopicSpec(
    "cancellations", "orders", "correlation id", ("CancelRequested", "OrderCancelling")
)
PAYMENTS = TopicSpec(
    "payments",
    "payments",
    "correlation id",
    ("PaymentAuthorized", "PaymentDeclined", "PaymentRefunded", "PaymentVoided"),
)
INVENTORY = TopicSpec(
    "inventory",
    "inventory",
    "correlation id",
    ("StockReserved", "StockUnavailable", "StockReleased"),
)
SHIPMENTS = TopicSpec(
    "shipments", "shipping", "correlation id", ("ShipmentScheduled", "ShipmentCancelled")
)
# The tracker sees every step, so it is the one that notices a step past its deadline.
DEADLINES = TopicSpec("deadlines", "tracker", "correlation id", ("StepOverdue",))
# Inside the inventory service: stock of a SKU changes only on that SKU's partition.
STOCK_COMMANDS = TopicSpec(
    "stock-commands",
    "inventory",
    "sku",
    ("ReserveStock", "ReleaseStock", "WithdrawStock", "AddStock"),
)

# Records that a service could not process, each with where it came from and why (see
# eventcollab.dead_letter); every processor writes here, through the runtime, and none reads it.
DEAD_LETTERS = TopicSpec(
    "dead-letters", "every processor (the runtime)", "the original record's key", ("DeadLetter",)
)

# What became of each replayed dead letter (see eventcollab.replay.marks): compacted, keyed by
# dead_letter_id, the last mark of each kept. Created by its writer, with compaction, when it
# first replays; workers neither read nor create it.
DEAD_LETTER_REPLAYS = TopicSpec(
    "dead-letter-replays", "the replay-dead-letters command", "dead_letter_id", ("Replayed",)
)

WORKFLOW_TOPICS = (ORDERS, CANCELLATIONS, PAYMENTS, INVENTORY, SHIPMENTS, DEADLINES)
ALL_TOPICS = (*WORKFLOW_TOPICS, STOCK_COMMANDS, DEAD_LETTERS)

# Keys are plain UTF-8 strings (the correlation id, or the SKU on stock-commands) and values are
# JSON encoded by eventcollab.codec; the producer's default partitioner places every key.


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names of one deployment (with its prefix)."""

    orders: str
    cancellations: str
    payments: str
    inventory: str
    shipments: str
    deadlines: str
    stock_commands: str
    dead_letters: str

    def all(self) -> list[str]:
        return [
            self.orders,
            self.cancellations,
            self.payments,
            self.inventory,
            self.shipments,
            self.deadlines,
            self.stock_commands,
            self.dead_letters,
        ]


def declare(settings: Settings) -> Topics:
    return Topics(*(settings.topic_name(spec.name) for spec in ALL_TOPICS))
