"""A shadow replay reads back from each record of the log which input decided it."""

from collections import deque
from uuid import UUID

from builders import (
    LIMIT,
    T0,
    at,
    authorized,
    authorized_for,
    cancel_requested,
    line,
    order,
    order_placed,
)
from stock_sim import Ledger, Stock, apply_one, restock

from eventcollab.domain import inventory, orders, payments
from eventcollab.models import OrderCancelling, StockCommand
from eventcollab.replay.attribution import Written, deciders, id_of


def decisions(stock: Stock, ledger: Ledger, first: StockCommand) -> list[tuple[UUID, Written]]:
    """(id of the command, what it decided) for every step of the chain `first` starts."""
    pending: deque[StockCommand] = deque([first])
    decided: list[tuple[UUID, Written]] = []
    while pending:
        command = pending.popleft()
        decision = apply_one(stock, ledger, command)
        pending.extend(decision.commands)
        decided += [(command.command_id, w) for w in (*decision.commands, *decision.events)]
    return decided


def assert_each_names_its_own_command(decided: list[tuple[UUID, Written]]) -> None:
    inputs = {command_id for command_id, _ in decided} | {decided[0][0]}
    assert decided
    for command_id, written in decided:
        named = set(deciders("stock", written))
        assert command_id in named, written
        assert named & inputs == {command_id}  # no other command of the chain


def test_every_step_of_a_reservation_names_the_command_it_followed_from() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    cause = authorized_for(line("PEN"), line("INK"), line("CAP"))
    assert_each_names_its_own_command(decisions(stock, ledger, inventory.start_reservation(cause)))


def test_every_step_of_a_shortage_names_the_command_it_followed_from() -> None:
    for short in ("PEN", "INK", "CAP"):  # refused on the first, a middle or the last line
        stock: Stock = {}
        ledger: Ledger = {}
        restock(stock, ledger, **{sku: 5 for sku in ("PEN", "INK", "CAP") if sku != short})
        cause = authorized_for(line("PEN"), line("INK"), line("CAP"))
        decided = decisions(stock, ledger, inventory.start_reservation(cause))
        assert {type(w).__name__ for _, w in decided} >= {"StockUnavailable"}
        assert_each_names_its_own_command(decided)


def test_every_step_of_a_withdrawal_names_the_command_it_followed_from() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    placed = order_placed(order(line("PEN"), line("INK"), line("CAP")))
    decisions(stock, ledger, inventory.start_reservation(authorized(placed)))
    (started,) = orders.decide(None, cancel_requested(placed, at(2)), at(3)).events
    assert isinstance(started, OrderCancelling)

    decided = decisions(stock, ledger, inventory.start_withdrawal(started))
    assert [type(w).__name__ for _, w in decided][-1] == "StockReleased"
    assert_each_names_its_own_command(decided)


def test_inventory_starts_a_chain_from_the_event_that_asked_for_it_and_nothing_more() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5)
    cause = authorized_for(line("PEN"), line("INK"))
    first = inventory.start_reservation(cause)

    assert deciders("inventory", first) == (cause.event_id,)
    later = [w for _, w in decisions(stock, ledger, first)]
    assert all(deciders("inventory", w) == () for w in later)


def test_a_service_answers_the_event_its_event_is_caused_by() -> None:
    placed = order_placed()
    (answer,) = payments.decide(None, placed, LIMIT, T0).events

    assert deciders("payments", answer) == (placed.event_id,)
    assert deciders("orders", answer) == ()  # written by payments
    assert deciders("payments", placed) == ()  # taken by HTTP: no cause
    assert id_of(answer) == answer.event_id
