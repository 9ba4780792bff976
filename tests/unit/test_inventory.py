"""Inventory: a reservation chain, simulated over per-SKU stock and a ledger, as the agent runs it.

`run_chain` plays the stock-keeper agent: it feeds each emitted command back into `apply` with the
state of that command's SKU and ledger key, stores level and entry only when they are not None,
and collects the events, first in first out, until no command is left.
"""

import random
from uuid import uuid4

import pytest
from builders import authorized_for, line
from stock_sim import apply_one, kinds, levels, restock, run_chain

from eventcollab.domain import inventory
from eventcollab.domain.inventory import StockDecision
from eventcollab.models import (
    AddStock,
    Event,
    StockCommand,
    StockReleased,
    StockReserved,
    StockUnavailable,
    derived_id,
)


def test_add_stock_adds_once_even_when_delivered_twice() -> None:
    stock, ledger = {}, {}
    add = AddStock(command_id=uuid4(), sku="PEN", quantity=7)

    run_chain(stock, ledger, add)
    assert levels(stock) == {"PEN": 7}

    assert run_chain(stock, ledger, add) == []
    assert levels(stock) == {"PEN": 7}


def test_a_single_line_order_reserves_its_stock_and_announces_it() -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=5)
    paid = authorized_for(line("PEN", quantity=2))

    events = run_chain(stock, ledger, inventory.start_reservation(paid))

    (event,) = events
    assert isinstance(event, StockReserved)
    assert event.event_id == derived_id(paid.event_id, "StockReserved")
    assert event.causation_id == paid.event_id
    assert event.correlation_id == paid.correlation_id
    assert levels(stock) == {"PEN": 3}


def test_a_three_line_order_with_enough_stock_reserves_every_line_and_announces_once() -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=5, INK=5, PAD=5)
    paid = authorized_for(line("PEN", 1), line("INK", 2), line("PAD", 3))

    events = run_chain(stock, ledger, inventory.start_reservation(paid))

    assert [type(e) for e in events] == [StockReserved]
    assert levels(stock) == {"PEN": 4, "INK": 3, "PAD": 2}
    assert kinds(ledger) == {"PEN": "reserved", "INK": "reserved", "PAD": "reserved"}


def test_a_short_third_line_releases_the_first_two_then_reports_the_shortage() -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=5, INK=5, PAD=1)
    paid = authorized_for(line("PEN", 1), line("INK", 2), line("PAD", 3))

    released, missing = run_chain(stock, ledger, inventory.start_reservation(paid))

    assert levels(stock) == {"PEN": 5, "INK": 5, "PAD": 1}
    assert kinds(ledger) == {"PEN": "released", "INK": "released", "PAD": "refused"}
    assert isinstance(released, StockReleased)
    assert released.lines == paid.order.lines[:2]
    assert isinstance(missing, StockUnavailable)
    assert (missing.sku, missing.requested, missing.available) == ("PAD", 3, 1)
    assert missing.event_id == derived_id(paid.event_id, "StockUnavailable")
    assert missing.causation_id == released.causation_id == paid.event_id


def test_a_short_first_line_reports_only_the_shortage_and_changes_no_stock() -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=1, INK=5)
    paid = authorized_for(line("PEN", 3), line("INK", 1))

    events = run_chain(stock, ledger, inventory.start_reservation(paid))

    (missing,) = events
    assert isinstance(missing, StockUnavailable)
    assert (missing.sku, missing.requested, missing.available) == ("PEN", 3, 1)
    assert levels(stock) == {"PEN": 1, "INK": 5}
    assert kinds(ledger) == {"PEN": "refused"}


@pytest.mark.parametrize("pad_stock", [5, 1], ids=["reserved", "short"])
def test_redelivering_any_command_of_a_finished_chain_changes_nothing(pad_stock: int) -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=5, INK=5, PAD=pad_stock)
    paid = authorized_for(line("PEN", 1), line("INK", 2), line("PAD", 3))
    applied: list[StockCommand] = []
    run_chain(stock, ledger, inventory.start_reservation(paid), applied)
    before = (dict(stock), dict(ledger))

    for command in applied:
        assert apply_one(stock, ledger, command) == StockDecision()

    assert (stock, ledger) == before
    assert len(applied) == (3 if pad_stock == 5 else 5)


def test_a_reserve_redelivered_after_its_line_was_released_does_not_reserve_again() -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=5, INK=1)
    paid = authorized_for(line("PEN", 2), line("INK", 3))
    run_chain(stock, ledger, inventory.start_reservation(paid))
    restock(stock, ledger, PEN=10, INK=10)  # now there would be enough

    events = run_chain(stock, ledger, inventory.start_reservation(paid))

    assert events == []
    assert levels(stock) == {"PEN": 15, "INK": 11}
    assert kinds(ledger) == {"PEN": "released", "INK": "refused"}


@pytest.mark.parametrize("seed", range(20))
def test_racing_orders_never_oversell(seed: int) -> None:
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=10)
    orders = [authorized_for(line("PEN", 1)) for _ in range(15)]
    random.Random(seed).shuffle(orders)

    events: list[Event] = []
    for paid in orders:
        events += run_chain(stock, ledger, inventory.start_reservation(paid))
        assert stock["PEN"].available >= 0

    assert sum(isinstance(e, StockReserved) for e in events) == 10
    assert sum(isinstance(e, StockUnavailable) for e in events) == 5
    assert levels(stock) == {"PEN": 0}


@pytest.mark.parametrize("seed", range(20))
def test_racing_two_line_chains_interleaved_step_by_step_never_oversell(seed: int) -> None:
    """8 orders of one PEN and one INK, with 6 INK: commands of all chains are interleaved."""
    stock, ledger = {}, {}
    restock(stock, ledger, PEN=10, INK=6)
    pending = [
        inventory.start_reservation(authorized_for(line("PEN", 1), line("INK", 1)))
        for _ in range(8)
    ]
    rng, events = random.Random(seed), []
    while pending:
        decision = apply_one(stock, ledger, pending.pop(rng.randrange(len(pending))))
        pending += decision.commands
        events += decision.events
        assert min(levels(stock).values()) >= 0

    assert sum(isinstance(e, StockReserved) for e in events) == 6
    assert sum(isinstance(e, StockUnavailable) for e in events) == 2
    assert levels(stock) == {"PEN": 4, "INK": 0}
