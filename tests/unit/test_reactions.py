"""What each service declares it reacts to and may publish: what its decision does, no more.

A service skips, undecoded, every event of a type it does not declare; a declaration that
missed a type its decision handles would lose those events, so each is checked against the
decision itself over every event the workflow's runs publish (see choreography). What it
declares it may publish in answer to each type is held to what every run publishes, both ways:
the flow map expects exactly these causes.
"""

import asyncio
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from builders import LIMIT, at, fold, happy_path
from choreography import every_event, every_run

from eventcollab import deadlines
from eventcollab.agents.inventory import start_chains
from eventcollab.codec import decode_event, encode, event_type_of
from eventcollab.domain import Decision, inventory, orders, payments, shipping
from eventcollab.models import EVENT_TYPES, Event
from eventcollab.presentation import present
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import declare
from eventcollab.web import orders as web_orders
from eventcollab.web.ask import TrackerClient
from eventcollab.web.cancel import CancelIntake

EVERY_EVENT = every_event()


def acts(decision: Decision[Any]) -> bool:
    return decision.state is not None or bool(decision.events)


def check(reacts_to: frozenset[str], decide: Callable[[Event], Decision[Any]]) -> None:
    acted_on = {event.event_type for event in EVERY_EVENT if acts(decide(event))}
    assert reacts_to <= EVENT_TYPES
    assert acted_on == reacts_to


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


def test_the_runs_publish_every_event_type() -> None:
    assert {event.event_type for event in EVERY_EVENT} == EVENT_TYPES


# Each service that answers events, with its declaration (the tracker answers a wait that
# outlasts its deadline).
ANSWERING = [orders, payments, inventory, shipping, deadlines]


@pytest.mark.parametrize("service", ANSWERING, ids=lambda service: service.PRODUCER)
def test_a_service_publishes_in_answer_to_each_event_what_it_declares_and_nothing_else(
    service: ModuleType,
) -> None:
    published = {
        (cause.event_type, effect.event_type)
        for cause, effect in every_run().caused
        if effect.producer == service.PRODUCER
    }
    declared = {
        (cause, effect) for cause, effects in service.REACTIONS.items() for effect in effects
    }

    assert published - declared == set(), "published in answer, not declared"
    assert declared - published == set(), "declared, published in answer by no run"
    assert {effect for _, effect in published} == service.EMITS
    assert set(service.REACTIONS) <= EVENT_TYPES and service.EMITS <= EVENT_TYPES


class Broker:
    """Takes what the intakes send, acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, topic: str, value: bytes, *, key: bytes) -> "asyncio.Future[None]":
        self.sent.append(value)
        acknowledged = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


async def test_the_orders_service_takes_over_http_the_entry_events_it_declares_uncaused() -> None:
    broker = Broker()
    intake = web_orders.OrderIntake(broker, "orders", None)
    body = b'{"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 1, "unit_price": 2}]}'
    placed = web_orders.order_placed(web_orders.order_request(body), at(0))
    cancels = CancelIntake(intake, TrackerClient(Settings(), runs_tracker=False), "cancellations")
    assert await cancels.publish(present(fold(happy_path()[:2])), "changed my mind")

    (requested,) = (decode_event(value) for value in broker.sent)
    taken = [placed, requested]
    assert {event.event_type for event in taken} == orders.ENTRY_EVENTS
    assert {(event.producer, event.causation_id) for event in taken} == {(orders.PRODUCER, None)}
