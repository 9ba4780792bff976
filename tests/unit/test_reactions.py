"""What each service declares it reacts to: what its decision acts on, and nothing it passes over.

A service skips, undecoded, every event of a type it does not declare; a declaration that
missed a type its decision handles would lose those events, so each is checked against the
decision itself over every event the workflow's paths produce.
"""

from collections.abc import Callable
from typing import Any

from aiokafka import ConsumerRecord
from builders import (
    LIMIT,
    at,
    cancelled_path,
    declined_path,
    happy_path,
    out_of_stock_path,
    timed_out_path,
    unpaid_timeout_path,
)

from eventcollab.agents.inventory import start_chains
from eventcollab.codec import encode, event_type_of
from eventcollab.domain import Decision, inventory, orders, payments, shipping
from eventcollab.models import EVENT_TYPES, Event
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import declare

EVERY_EVENT: list[Event] = [
    *happy_path(),
    *declined_path(),
    *out_of_stock_path(),
    *cancelled_path(),
    *timed_out_path(),
    *unpaid_timeout_path(),
]


def acts(decision: Decision[Any]) -> bool:
    return decision.state is not None or bool(decision.events)


def check(reacts_to: frozenset[str], decide: Callable[[Event], Decision[Any]]) -> None:
    decided = {event.event_type: acts(decide(event)) for event in EVERY_EVENT}
    assert reacts_to <= EVENT_TYPES
    assert {kind for kind, acted in decided.items() if acted} == reacts_to


def test_payments_acts_on_what_it_declares_and_nothing_else() -> None:
    authorized = payments.decide(None, happy_path()[0], LIMIT, at(1)).state

    def decide(event: Event) -> Decision[Any]:
        # A refund needs the authorization before it: the payment state it would find.
        state = authorized if event.event_type == "StockUnavailable" else None
        return payments.decide(state, event, LIMIT, at(9))

    check(payments.REACTS_TO, decide)


def test_orders_and_shipping_act_on_what_they_declare_and_nothing_else() -> None:
    def conclude_or_answer(event: Event) -> Decision[Any]:
        # An answer to a cancellation counts only while that cancellation is under way.
        cancelling = orders.OrderOutcome(status="cancelling", cancellation=event.causation_id)
        concluded = orders.decide(None, event, at(9))
        return concluded if acts(concluded) else orders.decide(cancelling, event, at(9))

    check(orders.REACTS_TO, conclude_or_answer)
    check(shipping.REACTS_TO, lambda event: shipping.decide(None, event, at(9)))


def test_inventory_starts_chains_for_what_it_declares_and_nothing_else() -> None:
    topics = declare(Settings())
    handle = start_chains(topics)
    started = set()
    for number, event in enumerate(EVERY_EVENT):
        work = Work(None, 1_000_000)
        value = encode(event)
        key = event.correlation_id.encode()
        handle(work, ConsumerRecord("payments", 0, number, 0, 0, key, value, None, 1, 1, ()))
        if work.outputs:
            started.add(event.event_type)

    assert started == inventory.STARTS_CHAIN


def test_the_type_is_read_from_our_encoding_and_only_from_it() -> None:
    placed = happy_path()[0]
    ours = encode(placed)
    reordered = b'{"event_id":"x",' + ours[1:]  # the same event, written by another encoder

    assert event_type_of(ours) == "OrderPlaced"
    assert event_type_of(reordered) is None  # decoded as before
    assert event_type_of(b'{"event_type":"Mystery","event_id":"x"}') is None
    assert event_type_of(b"not json") is None
    assert event_type_of(b'{"event_type":"OrderPlaced') is None  # cut short
