"""The reservation chain as the log shows it: lines reserved, doubled, released, and stock.

The log has no event for "line i reserved". It shows it by the chain moving on: line i's partition
sends ReserveStock for line i + 1 only after reserving line i, and announces StockReserved only
after reserving the last line (see eventcollab.domain.inventory). A refused line leaves no such
trace, so a line followed by neither was never held.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from eventcollab.audit.model import NEGATIVE_STOCK, TWO_RESERVATIONS, UNMATCHED_RELEASE, Anomaly
from eventcollab.models import (
    AddStock,
    AnyStockCommand,
    Event,
    ReleaseStock,
    ReserveStock,
    StockReleased,
    StockReserved,
    WithdrawStock,
)

LineKey = tuple[str, int]  # (correlation id, line index)


@dataclass(frozen=True, slots=True)
class Chain:
    reserve_ids: dict[LineKey, set[UUID]]  # ReserveStock command ids sent for each line
    all_reserved: set[str]  # correlation ids with StockReserved

    def reserved(self, correlation_id: str, index: int, line_count: int) -> bool:
        """Whether the log shows the chain went past line `index` of a `line_count`-line order."""
        if 0 <= index < line_count - 1:
            return (correlation_id, index + 1) in self.reserve_ids
        return index == line_count - 1 and correlation_id in self.all_reserved


def chain_of(events: Iterable[Event], commands: Iterable[AnyStockCommand]) -> Chain:
    reserve_ids: dict[LineKey, set[UUID]] = defaultdict(set)
    for command in commands:
        if isinstance(command, ReserveStock):
            reserve_ids[command.correlation_id, command.line_index].add(command.command_id)
    all_reserved = {e.correlation_id for e in events if isinstance(e, StockReserved)}
    return Chain(dict(reserve_ids), all_reserved)


def doubled_reservations(chain: Chain) -> list[Anomaly]:
    return [
        Anomaly(TWO_RESERVATIONS, cid, f"line {index}: {len(ids)} ReserveStock, {listed(ids)}")
        for (cid, index), ids in chain.reserve_ids.items()
        if len(ids) > 1
    ]


def unmatched_releases(
    events: Iterable[Event], commands: Iterable[AnyStockCommand], chain: Chain
) -> list[Anomaly]:
    found = [
        Anomaly(
            UNMATCHED_RELEASE,
            c.correlation_id,
            f"ReleaseStock {c.command_id} for line {c.line_index} ({c.sku}), never reserved",
        )
        for c in commands
        if isinstance(c, ReleaseStock)
        and not chain.reserved(c.correlation_id, c.line_index, len(c.cause.order.lines))
    ]
    for event in events:
        if isinstance(event, StockReleased) and (unheld := unreserved_lines(event, chain)):
            message = f"StockReleased {event.event_id} releases unreserved {', '.join(unheld)}"
            found.append(Anomaly(UNMATCHED_RELEASE, event.correlation_id, message))
    return found


def unreserved_lines(event: StockReleased, chain: Chain) -> list[str]:
    """The released lines that the chain never went past (or that the order does not have)."""
    skus = [line.sku for line in event.order.lines]
    return [
        f"line {skus.index(line.sku)} ({line.sku})" if line.sku in skus else f"{line.sku} (no line)"
        for line in event.lines
        if line.sku not in skus
        or not chain.reserved(event.correlation_id, skus.index(line.sku), len(skus))
    ]


@dataclass
class StockReplay:
    """Each SKU's stock, command after command on its partition, as the inventory applied them."""

    chain: Chain
    levels: dict[str, int] = field(default_factory=dict)
    # One ledger entry per SKU and order, as in inventory: a second reservation changes nothing.
    ledger: dict[tuple[str, str], str] = field(default_factory=dict)
    below_zero: dict[str, Anomaly] = field(default_factory=dict)  # the first time, per SKU

    def apply(self, command: AnyStockCommand) -> None:
        if isinstance(command, AddStock):
            self.move(command.sku, command.quantity, "")
            return
        key = (command.sku, command.correlation_id)
        lines = len(command.cause.order.lines)
        if isinstance(command, ReserveStock) and key not in self.ledger:
            if self.chain.reserved(command.correlation_id, command.line_index, lines):
                self.ledger[key] = "reserved"
                self.move(command.sku, -command.line.quantity, command.correlation_id)
        elif isinstance(command, ReleaseStock) and self.ledger.get(key) == "reserved":
            self.ledger[key] = "released"
            self.move(command.sku, command.line.quantity, command.correlation_id)
        elif isinstance(command, WithdrawStock) and key not in self.ledger:
            self.ledger[key] = "closed"  # a reservation after this is refused
        elif isinstance(command, WithdrawStock) and self.ledger.get(key) == "reserved":
            self.ledger[key] = "withdrawn"
            quantity = command.cause.order.lines[command.line_index].quantity
            self.move(command.sku, quantity, command.correlation_id)

    def held(self) -> dict[str, list[str]]:
        """The SKUs each order still holds, once every command is applied."""
        holding: dict[str, list[str]] = defaultdict(list)
        for (sku, correlation_id), kind in self.ledger.items():
            if kind == "reserved":
                holding[correlation_id].append(sku)
        return dict(holding)

    def move(self, sku: str, change: int, correlation_id: str) -> None:
        level = self.levels[sku] = self.levels.get(sku, 0) + change
        if level < 0 and sku not in self.below_zero:
            message = f"{sku} at {level} after reserving {-change} for this order"
            self.below_zero[sku] = Anomaly(NEGATIVE_STOCK, correlation_id, message)


def replayed(commands: Iterable[AnyStockCommand], chain: Chain) -> StockReplay:
    # A SKU's commands all sit on its partition, so the log order of its commands is the order
    # in which the inventory applied them.
    replay = StockReplay(chain)
    for command in commands:
        replay.apply(command)
    return replay


def negative_stock(replay: StockReplay) -> list[Anomaly]:
    return list(replay.below_zero.values())


def listed(ids: Iterable[UUID]) -> str:
    return ", ".join(sorted(str(i) for i in ids))
