"""Inventory: a cancelled order withdraws its stock, line by line, whatever its reservation does.

Each SKU's commands are applied in the order they were sent (one partition per SKU); the chains
of one order run on several SKUs at once, so the tests interleave the SKUs' queues at random.
"""

import random
from collections import defaultdict, deque

import pytest
from builders import LIMIT, T0, authorized_for, cancel_requested, line, order, order_placed
from stock_sim import Ledger, Stock, apply_one, kinds, levels, restock, run_chain

from eventcollab.domain import inventory, orders, payments
from eventcollab.models import (
    Event,
    OrderCancelling,
    PaymentAuthorized,
    StockCommand,
    StockReleased,
    StockReserved,
)

LINES = (line("PEN", 2), line("INK", 3), line("CAP", 1))


def cancelling_of(paid: PaymentAuthorized) -> OrderCancelling:
    placed = order_placed(paid.order).model_copy(update={"correlation_id": paid.correlation_id})
    (event,) = orders.decide(None, cancel_requested(placed, T0), T0).events
    assert isinstance(event, OrderCancelling)
    return event


def test_withdrawing_an_order_never_reserved_closes_every_line_and_releases_nothing() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    paid = authorized_for(*LINES)

    answer = run_chain(stock, ledger, inventory.start_withdrawal(cancelling_of(paid)))
    late = run_chain(stock, ledger, inventory.start_reservation(paid))

    [released] = answer
    assert isinstance(released, StockReleased) and released.lines == ()
    assert late == []  # the reservation arriving after is refused, quietly
    assert levels(stock) == {"PEN": 5, "INK": 5, "CAP": 5}
    assert kinds(ledger) == {"PEN": "closed", "INK": "closed", "CAP": "closed"}


def test_withdrawing_a_reserved_order_gives_back_every_line() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    paid = authorized_for(*LINES)
    [reserved] = run_chain(stock, ledger, inventory.start_reservation(paid))

    [released] = run_chain(stock, ledger, inventory.start_withdrawal(cancelling_of(paid)))

    assert isinstance(reserved, StockReserved)
    assert isinstance(released, StockReleased) and released.lines == LINES
    assert levels(stock) == {"PEN": 5, "INK": 5, "CAP": 5}
    assert kinds(ledger) == {"PEN": "withdrawn", "INK": "withdrawn", "CAP": "withdrawn"}


def test_a_shortage_unwound_before_the_withdrawal_leaves_nothing_to_release() -> None:
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=1, CAP=5)
    paid = authorized_for(*LINES)
    run_chain(stock, ledger, inventory.start_reservation(paid))  # INK short: PEN given back

    [released] = run_chain(stock, ledger, inventory.start_withdrawal(cancelling_of(paid)))

    assert isinstance(released, StockReleased) and released.lines == ()
    assert levels(stock) == {"PEN": 5, "INK": 1, "CAP": 5}


def interleaved(
    stock: Stock, ledger: Ledger, first: list[StockCommand], rng: random.Random, twice: bool
) -> list[Event]:
    """Apply the commands of several chains, each SKU's in order, the SKUs in random turns;
    with `twice`, some commands are delivered a second time, as after a crash."""
    queues: dict[str, deque[StockCommand]] = defaultdict(deque)
    for command in first:
        queues[command.sku].append(command)
    events: list[Event] = []
    while any(queues.values()):
        sku = rng.choice([sku for sku, queue in queues.items() if queue])
        command = queues[sku].popleft()
        deliveries = 2 if twice and rng.random() < 0.3 else 1
        for _ in range(deliveries):
            decision = apply_one(stock, ledger, command)
            for following in decision.commands:
                queues[following.sku].append(following)
            events += decision.events
        assert min(levels(stock).values()) >= 0
    return events


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("twice", [False, True])
def test_a_withdrawal_racing_the_reservation_leaves_nothing_held(seed: int, twice: bool) -> None:
    rng = random.Random(seed)
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    paid = authorized_for(*LINES)
    cancelling = cancelling_of(paid)
    first = [inventory.start_reservation(paid), inventory.start_withdrawal(cancelling)]
    rng.shuffle(first)

    events = interleaved(stock, ledger, first, rng, twice)

    answers = {e.event_id: e for e in events if isinstance(e, StockReleased)}
    [answer] = answers.values()  # one answer, however often its commands came
    assert all(e == answer for e in events if isinstance(e, StockReleased))
    assert levels(stock) == {"PEN": 5, "INK": 5, "CAP": 5}  # nothing held, nothing lost
    assert set(kinds(ledger).values()) <= {"withdrawn", "closed"}
    withdrawn = {sku for sku, kind in kinds(ledger).items() if kind == "withdrawn"}
    assert {released.sku for released in answer.lines} == withdrawn
    if any(isinstance(e, StockReserved) for e in events):
        assert answer.lines == LINES  # reserved late: every line given back


@pytest.mark.parametrize("seed", range(20))
def test_cancelled_and_kept_orders_racing_for_stock_never_oversell(seed: int) -> None:
    """Six orders of one PEN and one INK with five INK; every other order is cancelled."""
    rng = random.Random(seed)
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=10, INK=5)
    paid = [authorized_for(line("PEN", 1), line("INK", 1)) for _ in range(6)]
    first: list[StockCommand] = [inventory.start_reservation(p) for p in paid]
    first += [inventory.start_withdrawal(cancelling_of(p)) for p in paid[::2]]
    rng.shuffle(first)

    events = interleaved(stock, ledger, first, rng, twice=False)

    kept = {p.correlation_id for p in paid[1::2]}
    reserved = {e.correlation_id for e in events if isinstance(e, StockReserved)}
    still_held = reserved & kept
    assert levels(stock) == {"PEN": 10 - len(still_held), "INK": 5 - len(still_held)}
    assert len({e.correlation_id for e in events if isinstance(e, StockReleased)} - kept) == 3


def test_payments_refunds_an_authorized_order_once_and_voids_one_never_charged() -> None:
    placed = order_placed(order(line("PEN", 1)))
    payment = payments.decide(None, placed, LIMIT, T0).state
    paid = authorized_for(line("PEN", 1))
    cancelling = cancelling_of(paid)
    [refund] = payments.decide(payment, cancelling, LIMIT, T0).events
    refunded = payments.decide(payment, cancelling, LIMIT, T0).state

    assert refund.event_type == "PaymentRefunded"
    assert payments.decide(refunded, cancelling, LIMIT, T0).events == ()  # answered once
    [void] = payments.decide(None, cancelling, LIMIT, T0).events
    assert void.event_type == "PaymentVoided"


def test_a_withdrawal_delivered_again_changes_nothing_and_sends_nothing() -> None:
    """As when the log is replayed from the start: the chain does not run a second time."""
    stock: Stock = {}
    ledger: Ledger = {}
    restock(stock, ledger, PEN=5, INK=5, CAP=5)
    paid = authorized_for(*LINES)
    run_chain(stock, ledger, inventory.start_reservation(paid))
    applied: list[StockCommand] = []
    run_chain(stock, ledger, inventory.start_withdrawal(cancelling_of(paid)), applied)

    for command in applied:
        decision = apply_one(stock, ledger, command)
        assert (decision.commands, decision.events) == ((), ())
    assert levels(stock) == {"PEN": 5, "INK": 5, "CAP": 5}


def test_a_cancellation_read_before_its_order_voids_the_payment_for_good() -> None:
    """They come on two topics: payments may read the cancellation first."""
    placed = order_placed(order(line("PEN", 1)))
    paid = authorized_for(line("PEN", 1))
    cancelling = cancelling_of(paid).model_copy(update={"correlation_id": placed.correlation_id})

    first = payments.decide(None, cancelling, LIMIT, T0)
    later = payments.decide(first.state, placed, LIMIT, T0)

    assert [e.event_type for e in first.events] == ["PaymentVoided"]
    assert (later.state, later.events) == (None, ())  # never charged
