"""Workflow events, the order they carry, and the stock commands inside the inventory service."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Quantity = Annotated[int, Field(gt=0, le=10_000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]

# Every derived id lives under this namespace, so ids are stable across processes and replays.
EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://eventcollab.dev/events")


def derived_id(cause: UUID, kind: str) -> UUID:
    """The id of what `cause` leads to: the same cause always yields the same id."""
    return uuid5(EVENT_NAMESPACE, f"{cause}/{kind}")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrderLine(Frozen):
    sku: Sku
    quantity: Quantity
    unit_price: Annotated[Money, Field(gt=0)]

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


class Order(Frozen):
    """What every workflow event carries, so that no service has to ask another for it."""

    customer_id: Annotated[str, Field(min_length=1, max_length=100)]
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=100)]
    total: Money

    @model_validator(mode="after")
    def _consistent(self) -> "Order":
        # Run on every decode of every event: kept to plain loops (a tenth of a decode's time).
        lines = self.lines
        if len(lines) > 1 and len({line.sku for line in lines}) != len(lines):
            raise ValueError("each sku may appear on one line only")
        if self.total != sum(line.quantity * line.unit_price for line in lines):
            raise ValueError("total must be the sum of the lines")
        return self

    @classmethod
    def of(cls, customer_id: str, lines: tuple[OrderLine, ...]) -> "Order":
        return cls(customer_id=customer_id, lines=lines, total=sum(line.amount for line in lines))


class Event(Frozen):
    event_type: str
    event_id: UUID
    correlation_id: str
    causation_id: UUID | None
    occurred_at: datetime
    producer: str
    order: Order


class OrderPlaced(Event):
    event_type: Literal["OrderPlaced"] = "OrderPlaced"


class OrderCompleted(Event):
    event_type: Literal["OrderCompleted"] = "OrderCompleted"
    shipment_id: UUID


class OrderRejected(Event):
    event_type: Literal["OrderRejected"] = "OrderRejected"
    reason: str


class OrderCancelled(Event):
    event_type: Literal["OrderCancelled"] = "OrderCancelled"
    reason: str
    timed_out: str | None = None  # the step whose deadline passed ("service: action")


class CancelRequested(Event):
    """A customer asks to cancel an order still in progress (taken over HTTP, like an order)."""

    event_type: Literal["CancelRequested"] = "CancelRequested"
    reason: str


class StepOverdue(Event):
    """A step was not done by its deadline: a fact the tracker, who sees every step, reports."""

    event_type: Literal["StepOverdue"] = "StepOverdue"
    service: str
    action: str
    waiting_since: datetime
    deadline_seconds: float


class OrderCancelling(Event):
    """The order is being cancelled: every service undoes what it did for it, once."""

    event_type: Literal["OrderCancelling"] = "OrderCancelling"
    reason: str
    timed_out: str | None = None  # the step whose deadline passed ("service: action")


class PaymentAuthorized(Event):
    event_type: Literal["PaymentAuthorized"] = "PaymentAuthorized"
    payment_id: UUID
    amount: Money


class PaymentDeclined(Event):
    event_type: Literal["PaymentDeclined"] = "PaymentDeclined"
    amount: Money
    reason: str


class PaymentRefunded(Event):
    event_type: Literal["PaymentRefunded"] = "PaymentRefunded"
    payment_id: UUID
    amount: Money
    reason: str


class PaymentVoided(Event):
    """The answer of payments to a cancellation when there is nothing (left) to refund."""

    event_type: Literal["PaymentVoided"] = "PaymentVoided"
    reason: str


class StockReserved(Event):
    event_type: Literal["StockReserved"] = "StockReserved"


class StockUnavailable(Event):
    event_type: Literal["StockUnavailable"] = "StockUnavailable"
    sku: Sku
    requested: int
    available: int


class StockReleased(Event):
    event_type: Literal["StockReleased"] = "StockReleased"
    lines: tuple[OrderLine, ...]


class ShipmentScheduled(Event):
    event_type: Literal["ShipmentScheduled"] = "ShipmentScheduled"
    shipment_id: UUID


class ShipmentCancelled(Event):
    event_type: Literal["ShipmentCancelled"] = "ShipmentCancelled"
    shipment_id: UUID


WorkflowEvent = Annotated[
    OrderPlaced
    | OrderCompleted
    | OrderRejected
    | OrderCancelled
    | CancelRequested
    | StepOverdue
    | OrderCancelling
    | PaymentAuthorized
    | PaymentDeclined
    | PaymentRefunded
    | PaymentVoided
    | StockReserved
    | StockUnavailable
    | StockReleased
    | ShipmentScheduled
    | ShipmentCancelled,
    Field(discriminator="event_type"),
]
WORKFLOW_EVENT = TypeAdapter[WorkflowEvent](WorkflowEvent)
EVENT_TYPES = frozenset(
    kind.model_fields["event_type"].default for kind in get_args(get_args(WorkflowEvent)[0])
)


class Shortage(Frozen):
    line_index: int
    sku: Sku
    requested: int
    available: int


class StockCommand(Frozen):
    """Addressed to one SKU's partition of `stock-commands`: the only place its stock changes."""

    command_id: UUID
    sku: Sku


class LineCommand(StockCommand):
    """A step of the reservation chain: line by line forward, and back again to release."""

    cause: PaymentAuthorized
    line_index: int

    @property
    def correlation_id(self) -> str:
        return self.cause.correlation_id

    @property
    def line(self) -> OrderLine:
        return self.cause.order.lines[self.line_index]


class ReserveStock(LineCommand):
    command_type: Literal["ReserveStock"] = "ReserveStock"


class ReleaseStock(LineCommand):
    command_type: Literal["ReleaseStock"] = "ReleaseStock"
    shortage: Shortage


class WithdrawStock(StockCommand):
    """A step of the withdrawal chain of a cancelled order, from its last line to its first:
    a reserved line is released, a line not reserved yet is closed to any later reservation."""

    command_type: Literal["WithdrawStock"] = "WithdrawStock"
    cause: OrderCancelling
    line_index: int
    released: tuple[int, ...] = ()  # the lines this chain released so far

    @property
    def correlation_id(self) -> str:
        return self.cause.correlation_id


class AddStock(StockCommand):
    command_type: Literal["AddStock"] = "AddStock"
    quantity: Quantity


AnyStockCommand = Annotated[
    ReserveStock | ReleaseStock | WithdrawStock | AddStock, Field(discriminator="command_type")
]
STOCK_COMMAND = TypeAdapter[AnyStockCommand](AnyStockCommand)
