"""Inventory: reserve every line of an order or none, one SKU partition at a time.

Stock of a SKU changes only on that SKU's partition of `stock-commands`, so reservations for the
same SKU are applied one after another even when the orders sit on different partitions. An order
reserves its lines as a chain, line 0 first; the partition that reserves the last line announces
StockReserved. When a line is short, the chain turns back and releases the lines already reserved,
last first; only after the first line is released does StockUnavailable go out, so a refund never
races stock that is still held.

A cancelled order withdraws its stock as a chain too, from its last line to its first, whatever
the reservation chain is doing: a reserved line is released, a line not reserved yet is closed, so
that a reservation arriving later is refused. The two chains cross once, on one line's partition,
where the commands are applied one after the other; so when the withdrawal reaches line 0 nothing
is held and nothing will be, and StockReleased answers the cancellation with the lines released.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from eventcollab.domain import Dated, Reactions, emitted, follow_up
from eventcollab.models import (
    AddStock,
    Event,
    Frozen,
    LineCommand,
    OrderCancelling,
    PaymentAuthorized,
    ReleaseStock,
    ReserveStock,
    Shortage,
    StockCommand,
    StockReleased,
    StockReserved,
    StockUnavailable,
    WithdrawStock,
    derived_id,
)

PRODUCER = "inventory"


class StockLevel(Frozen):
    available: int


class LedgerEntry(Dated):
    """What a SKU did for one order (or one restock): the memory that makes commands idempotent.

    An order's entry is dated by the events that started its commands (`occurred_at`); a
    restock's is not (AddStock carries no time) and is kept for good: without it, a restock
    delivered again would add its units twice. Restocks are few beside orders.
    """

    # withdrawn: reserved, then released for a cancellation; closed: cancelled before any
    # reservation of this line, which is refused from then on.
    kind: Literal["added", "reserved", "refused", "released", "withdrawn", "closed"]
    quantity: int

    @property
    def lasting(self) -> bool:
        return self.kind == "added"


@dataclass(frozen=True, slots=True)
class StockDecision:
    level: StockLevel | None = None
    entry: LedgerEntry | None = None
    commands: tuple[StockCommand, ...] = ()
    events: tuple[Event, ...] = ()


def occurred_at(command: StockCommand) -> datetime | None:
    """When the event that started the command's chain occurred; None for a restock."""
    if isinstance(command, LineCommand | WithdrawStock):
        return command.cause.occurred_at
    return None


def ledger_key(command: StockCommand) -> str:
    ref = (
        command.correlation_id
        if isinstance(command, LineCommand | WithdrawStock)
        else command.command_id
    )
    return f"{command.sku}/{ref}"


# The events that start a chain, and what the stock keeper may publish at its end, caused (its
# causation_id) by the event that started the chain: the commands between them stay inside the
# service. The inventory service passes over every other event (the tests hold it to both).
REACTIONS: Reactions = {
    "PaymentAuthorized": frozenset({"StockReserved", "StockUnavailable", "StockReleased"}),
    "OrderCancelling": frozenset({"StockReleased"}),
}
STARTS_CHAIN = frozenset(REACTIONS)
EMITS = emitted(REACTIONS)


def start_reservation(event: PaymentAuthorized) -> ReserveStock:
    return reserve_line(event, 0)


def start_withdrawal(event: OrderCancelling) -> WithdrawStock:
    return withdraw_line(event, len(event.order.lines) - 1, ())


# The ids of a chain's commands, from the event that started the chain and the line: a command
# decided twice has one id, and a replay can tell which command decided what (replay.attribution).
def reserve_id(cause: UUID, index: int) -> UUID:
    return derived_id(cause, f"ReserveStock/{index}")


def release_id(cause: UUID, index: int) -> UUID:
    return derived_id(cause, f"ReleaseStock/{index}")


def withdraw_id(cause: UUID, index: int) -> UUID:
    return derived_id(cause, f"WithdrawStock/{index}")


def withdraw_line(cause: OrderCancelling, index: int, released: tuple[int, ...]) -> WithdrawStock:
    return WithdrawStock(
        command_id=withdraw_id(cause.event_id, index),
        sku=cause.order.lines[index].sku,
        cause=cause,
        line_index=index,
        released=released,
    )


def reserve_line(cause: PaymentAuthorized, index: int) -> ReserveStock:
    return ReserveStock(
        command_id=reserve_id(cause.event_id, index),
        sku=cause.order.lines[index].sku,
        cause=cause,
        line_index=index,
    )


def apply(
    level: StockLevel | None, entry: LedgerEntry | None, command: StockCommand, now: datetime
) -> StockDecision:
    if isinstance(command, WithdrawStock):
        return withdraw(level, entry, command, now)
    if entry is not None and not (isinstance(command, ReleaseStock) and entry.kind == "reserved"):
        return StockDecision()  # seen before: a re-delivered command changes nothing
    available = level.available if level is not None else 0
    if isinstance(command, AddStock):
        return StockDecision(
            StockLevel(available=available + command.quantity),
            LedgerEntry(kind="added", quantity=command.quantity),
        )
    if isinstance(command, ReserveStock):
        return reserve(available, command, now)
    if isinstance(command, ReleaseStock) and entry is not None:
        released = LedgerEntry(kind="released", quantity=entry.quantity)
        level_after = StockLevel(available=available + entry.quantity)
        return unwind(
            level_after, released, command.cause, command.shortage, command.line_index - 1, now
        )
    return StockDecision()


def reserve(available: int, command: ReserveStock, now: datetime) -> StockDecision:
    wanted = command.line.quantity
    if wanted > available:
        shortage = Shortage(
            line_index=command.line_index, sku=command.sku, requested=wanted, available=available
        )
        refused = LedgerEntry(kind="refused", quantity=wanted)
        return unwind(None, refused, command.cause, shortage, command.line_index - 1, now)
    level = StockLevel(available=available - wanted)
    reserved = LedgerEntry(kind="reserved", quantity=wanted)
    cause, following = command.cause, command.line_index + 1
    if following < len(cause.order.lines):
        return StockDecision(level, reserved, commands=(reserve_line(cause, following),))
    return StockDecision(level, reserved, events=(follow_up(cause, StockReserved, PRODUCER, now),))


def unwind(
    level: StockLevel | None,
    entry: LedgerEntry,
    cause: PaymentAuthorized,
    shortage: Shortage,
    index: int,
    now: datetime,
) -> StockDecision:
    """Release line `index` next, or, once nothing is left held, report the shortage."""
    if index >= 0:
        release = ReleaseStock(
            command_id=release_id(cause.event_id, index),
            sku=cause.order.lines[index].sku,
            cause=cause,
            line_index=index,
            shortage=shortage,
        )
        return StockDecision(level, entry, commands=(release,))
    unavailable = follow_up(
        cause,
        StockUnavailable,
        PRODUCER,
        now,
        sku=shortage.sku,
        requested=shortage.requested,
        available=shortage.available,
    )
    held = cause.order.lines[: shortage.line_index]
    if not held:
        return StockDecision(level, entry, events=(unavailable,))
    released = follow_up(cause, StockReleased, PRODUCER, now, lines=held)
    return StockDecision(level, entry, events=(released, unavailable))


def withdraw(
    level: StockLevel | None, entry: LedgerEntry | None, command: WithdrawStock, now: datetime
) -> StockDecision:
    """Release or close line `command.line_index`, then go on to the line before it.

    A re-delivered command finds its own trace (withdrawn or closed: only the order's one
    withdrawal leaves them) and changes nothing: its next command or answer went out before the
    trace was stored, as for every command.
    """
    if entry is not None and entry.kind in ("withdrawn", "closed"):
        return StockDecision()
    released = command.released
    new_level, new_entry = None, None
    if entry is None:
        new_entry = LedgerEntry(kind="closed", quantity=0)
    elif entry.kind == "reserved":
        available = level.available if level is not None else 0
        new_level = StockLevel(available=available + entry.quantity)
        new_entry = LedgerEntry(kind="withdrawn", quantity=entry.quantity)
    if entry is not None and entry.kind == "reserved":
        released = (*released, command.line_index)
    cause = command.cause
    if command.line_index > 0:
        following = withdraw_line(cause, command.line_index - 1, released)
        return StockDecision(new_level, new_entry, commands=(following,))
    lines = tuple(cause.order.lines[index] for index in sorted(released))
    answer = follow_up(cause, StockReleased, PRODUCER, now, lines=lines)
    return StockDecision(new_level, new_entry, events=(answer,))
