"""Workflow events, the order they carry, and the stock commands inside the inventory service."""

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    model_validator,
)

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Quantity = Annotated[int, Field(gt=0, le=10_000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]

# Every derived id lives under this namespace, so ids are stable across processes and replays.
EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://eventcollab.dev/events")


# uuid5 hashes the namespace's bytes before the name every time: hashed once here instead.
NAMESPACE_HASHED = hashlib.sha1(EVENT_NAMESPACE.bytes, usedforsecurity=False)


def derived_id(cause: UUID, kind: str) -> UUID:
    """The id of what `cause` leads to: the same cause always yields the same id. It is
    `uuid5(EVENT_NAMESPACE, f"{cause}/{kind}")`, made in about half the time (a handful of
    these are made for every workflow)."""
    digest = NAMESPACE_HASHED.copy()
    digest.update(f"{cause}/{kind}".encode())
    return UUID(bytes=digest.digest()[:16], version=5)


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

    # Wrapping the model's own validation: an order validated already passes as it is (an
    # "after" validator would run again for every model an order is put into), and an order
    # validated recently is not validated again (see `RecentOrders`).
    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data: Any, validate: ModelWrapValidatorHandler["Order"]) -> "Order":
        if isinstance(data, Order):
            return data
        key = RecentOrders.key_of(data)
        if key is not None:
            known = RECENT_ORDERS.get(key)
            if known is not None:
                return known
        order = validate(data)
        # Kept to plain loops: this runs for every order not seen recently.
        lines = order.lines
        if len(lines) > 1 and len({line.sku for line in lines}) != len(lines):
            raise ValueError("each sku may appear on one line only")
        if order.total != sum(line.quantity * line.unit_price for line in lines):
            raise ValueError("total must be the sum of the lines")
        if key is not None:
            RECENT_ORDERS.add(key, order)
        return order

    @classmethod
    def of(cls, customer_id: str, lines: tuple[OrderLine, ...]) -> "Order":
        return cls(customer_id=customer_id, lines=lines, total=sum(line.amount for line in lines))


class RecentOrders:
    """Orders validated recently, by the input they were validated from.

    Every event of a workflow carries its order, and every service that reads the event, and
    the tracker's stored state, validates it again: about twenty times a workflow in one worker,
    each time parsing its prices into decimals, checking their digits and adding the lines up.
    An input seen before gives the order it gave then (orders are immutable).

    Only inputs made of dicts, lists, text and whole numbers have a key, and the key spells out
    every name, value and nesting of the input, so two inputs share a key only when they are
    the same (a bool or a float, equal to a number but validated differently, has no key). An
    input that fails validation is never kept. Orders are validated in one way only (lax, from
    JSON or Python), so an input's outcome does not depend on where it is read. The oldest
    orders leave first: a workflow's events are read within seconds of each other.
    """

    EXACT = (str, int)  # the exact types, not their subclasses (bool is an int)

    def __init__(self, size: int) -> None:
        self.size = size
        self.orders: OrderedDict[tuple[Any, ...], Order] = OrderedDict()
        self.lock = threading.Lock()  # the web server's thread validates orders too

    def get(self, key: tuple[Any, ...]) -> "Order | None":
        return self.orders.get(key)

    def add(self, key: tuple[Any, ...], order: "Order") -> None:
        with self.lock:
            self.orders[key] = order
            if len(self.orders) > self.size:
                self.orders.popitem(last=False)

    @classmethod
    def key_of(cls, data: Any) -> tuple[Any, ...] | None:
        if type(data) is not dict:
            return None
        exact = cls.EXACT
        parts: list[Any] = []
        for name, value in data.items():
            if name == "lines" and type(value) is list:
                parts.append("lines")  # a bare name: no (name, value) pair is equal to it
                for line in value:
                    if type(line) is not dict:
                        return None
                    for item in line.items():
                        if type(item[1]) not in exact:
                            return None
                        parts.append(item)
                    parts.append(None)  # the end of a line
            elif type(value) in exact:
                parts.append((name, value))
            else:
                return None
        return tuple(parts)


# Enough for the workflows of the last several seconds at a few thousand a second.
RECENT_ORDERS = RecentOrders(8_192)


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
