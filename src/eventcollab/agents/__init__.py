"""The thin shell around the pure decisions: decode, decide, emit, store; a module a service."""

from collections.abc import Callable, Mapping
from typing import TypeVar

from aiokafka import ConsumerRecord

from eventcollab.codec import event_type_of
from eventcollab.domain import Dated, Decision, dated
from eventcollab.models import AnyStockCommand, Event, WorkflowEvent
from eventcollab.records import command_of, event_of
from eventcollab.retention import passed_over
from eventcollab.runtime.processor import Handler
from eventcollab.runtime.work import Work

S = TypeVar("S", bound=Dated)


def event_in(record: ConsumerRecord[bytes, bytes]) -> WorkflowEvent:
    """The record's event; raises `Refused` (a dead letter, never retried) when it is not one
    of ours keyed by its correlation id."""
    return event_of(record.key, record.value)


def command_in(record: ConsumerRecord[bytes, bytes]) -> AnyStockCommand:
    """The record's stock command; raises `Refused` when it is not one keyed by its SKU."""
    return command_of(record.key, record.value)


def ignores(record: ConsumerRecord[bytes, bytes], reacts_to: frozenset[str]) -> bool:
    """Whether the record is one of our events of a type the service does not react to.

    Such a record is passed over before it is decoded or any state is loaded: a service reads
    whole topics, and about a third of what it reads is for others (payments reads every
    OrderCompleted on `orders`). Anything not written by our codec is decoded as before.
    """
    kind = event_type_of(record.value or b"")
    return kind is not None and kind not in reacts_to


def reacting(
    table: str,
    state_type: type[S],
    decide: Callable[[S | None, Event], Decision[S]],
    out: str | None,
    reacts_to: frozenset[str],
    routes: Mapping[str, str] | None = None,
) -> Handler:
    """A service's handler: each event with its workflow's state in, new state and events out.

    `reacts_to`: the event types for which `decide` may decide anything (declared next to it).
    `out`: the topic of the events it emits; `routes`: another topic for some event types.
    The state stored is dated by its newest event (`domain.dated`); an event past the retention
    horizon that finds no state is passed over: its state may have been removed.
    """
    topic_of = dict(routes or {})

    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        if ignores(record, reacts_to):
            return
        event = event_in(record)
        if event.event_type not in reacts_to:
            return  # not one its state is made of (a record our codec did not write)
        key = event.correlation_id
        before = work.load(table, key, state_type)
        if passed_over(event.occurred_at, before, work.horizon):
            work.passed_over += 1
            return
        decision = decide(before, event)
        if out is not None:
            for emitted in decision.events:
                topic = topic_of.get(emitted.event_type, out)
                work.emit(topic, emitted.correlation_id, emitted)
        after = dated(before, decision.state, event.occurred_at)
        if after is not None:
            work.save(table, key, after)

    return handle
