"""The thin shell around the pure decisions: decode, decide, publish, store; a module a service."""

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eventcollab.codec import decode_event, encode, load, store
from eventcollab.domain import Decision
from eventcollab.models import Event

log = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


async def publish(topic: Any, events: Iterable[Event]) -> None:
    for event in events:
        await topic.send(key=event.correlation_id, value=encode(event))


def undecodable(raw: bytes, error: ValidationError) -> None:
    # Skipped, not retried: the same bytes would fail again. A dead-letter topic belongs here.
    log.error("skipping undecodable record (%d bytes): %s", len(raw), error)


async def decoded(stream: AsyncIterable[bytes], decode: Callable[[bytes], T]) -> AsyncIterator[T]:
    """The stream's records as models; a record that does not decode is set aside, not fatal."""
    async for raw in stream:
        try:
            yield decode(raw)
        except ValidationError as error:
            undecodable(raw, error)


async def react(
    stream: AsyncIterable[bytes],
    table: Any,
    state_type: type[S],
    decide: Callable[[S | None, Event], Decision[S]],
    out: Any,
) -> None:
    """Run one service: each event with that workflow's state in, new state and events out."""
    async for event in decoded(stream, decode_event):
        key = event.correlation_id
        decision = decide(load(table, key, state_type), event)
        # Publish before storing: after a crash in between, the event is decided again and sent
        # again under the same id, which every consumer already treats as a duplicate.
        await publish(out, decision.events)
        if decision.state is not None:
            store(table, key, decision.state)
