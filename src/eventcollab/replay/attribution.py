"""Which processor wrote a record of the log, and which of its inputs decided it.

A shadow replay compares what a processor decides now for an input with what the log shows it
decided for that input; the log does not say which input a record answered, but every id is
derived from its cause (models.derived_id), so the cause can be read back from the record:

- orders, payments and shipping answer an event with events caused by it (`causation_id`);
- inventory starts a chain with the first command of an authorized or cancelled order (`cause`);
- stock decides each next step of a chain, or its answer, from the command before it, whose id
  is derived from the chain's cause and its line (domain.inventory: reserve_id, ...).
"""

from uuid import UUID

from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.models import (
    AnyStockCommand,
    Event,
    ReleaseStock,
    ReserveStock,
    StockReleased,
    StockReserved,
    StockUnavailable,
    WithdrawStock,
)
from eventcollab.topics import (
    CANCELLATIONS,
    DEADLINES,
    INVENTORY,
    ORDERS,
    PAYMENTS,
    SHIPMENTS,
    STOCK_COMMANDS,
    TopicSpec,
)

Written = Event | AnyStockCommand

# The topics each processor writes (a topic's writer is a service; inventory's two processors
# share stock-commands).
WRITES: dict[str, tuple[TopicSpec, ...]] = {
    "orders": (ORDERS, CANCELLATIONS),
    "payments": (PAYMENTS,),
    "shipping": (SHIPMENTS,),
    "inventory": (STOCK_COMMANDS,),
    "stock": (STOCK_COMMANDS, INVENTORY),
    "tracker": (DEADLINES,),
}
# The event types each processor decides on (declared next to its decision); None: every
# record it reads. It passes over every other type, which therefore is not compared.
REACTS_TO: dict[str, frozenset[str] | None] = {
    "orders": orders.REACTS_TO,
    "payments": payments.REACTS_TO,
    "shipping": shipping.REACTS_TO,
    "inventory": inventory.STARTS_CHAIN,
    "stock": None,
}
# The processors whose events all come from their handler, each caused by the event it answers.
ANSWERING = frozenset({"orders", "payments", "shipping"})


def id_of(written: Written) -> UUID:
    return written.event_id if isinstance(written, Event) else written.command_id


def deciders(processor: str, written: Written) -> tuple[UUID, ...]:
    """The ids of the inputs that may have decided `written` when `processor` wrote it (at most
    one of them is on the log); none when the processor's handler did not write it."""
    if processor in ANSWERING:
        if isinstance(written, Event) and written.producer == processor and written.causation_id:
            return (written.causation_id,)
        return ()
    if processor == "inventory":
        return chain_start(written)
    if processor == "stock":
        return chain_step(written)
    return ()  # the tracker's StepOverdue comes from its deadline check, not its handler


def chain_start(written: Written) -> tuple[UUID, ...]:
    if isinstance(written, ReserveStock) and written.line_index == 0:
        return (written.cause.event_id,)
    if isinstance(written, WithdrawStock):
        last = len(written.cause.order.lines) - 1
        return (written.cause.event_id,) if written.line_index == last else ()
    return ()


def chain_step(written: Written) -> tuple[UUID, ...]:
    """The command a step of a chain (or its answer) followed from."""
    if isinstance(written, ReserveStock):
        at = written.line_index
        return (inventory.reserve_id(written.cause.event_id, at - 1),) if at > 0 else ()
    if isinstance(written, ReleaseStock):
        cause, at = written.cause.event_id, written.line_index
        if written.shortage.line_index == at + 1:  # the line after it was refused
            return (inventory.reserve_id(cause, at + 1),)
        return (inventory.release_id(cause, at + 1),)
    if isinstance(written, WithdrawStock):
        at, last = written.line_index, len(written.cause.order.lines) - 1
        return (inventory.withdraw_id(written.cause.event_id, at + 1),) if at < last else ()
    if isinstance(written, Event) and written.causation_id is not None:
        return answer_of(written, written.causation_id)
    return ()


def answer_of(event: Event, cause: UUID) -> tuple[UUID, ...]:
    if isinstance(event, StockReserved):
        return (inventory.reserve_id(cause, len(event.order.lines) - 1),)
    if isinstance(event, StockUnavailable):
        short = next((i for i, line in enumerate(event.order.lines) if line.sku == event.sku), 0)
        # A first line refused reports at once; a later one after the release of line 0.
        return (inventory.reserve_id(cause, 0) if short == 0 else inventory.release_id(cause, 0),)
    if isinstance(event, StockReleased):
        # After a shortage (caused by the payment) or a withdrawal (by the cancellation):
        # only one of the two commands exists.
        return (inventory.release_id(cause, 0), inventory.withdraw_id(cause, 0))
    return ()
