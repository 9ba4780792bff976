"""The thin shell around the pure decisions: decode, decide, publish, store; a module a service."""

import asyncio
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


async def publish(topic: Any, events: Iterable[Event]) -> list[Any]:
    """Hand events to the producer, keyed by correlation id; returns the pending acks."""
    return [await topic.send(key=e.correlation_id, value=encode(e)) for e in events]


async def acknowledged(pending: Iterable[Any]) -> None:
    await asyncio.gather(*pending)


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
        # Store only once the broker has the events. The local store keeps a write even when the
        # process dies before the producer flushed; the re-delivered event would then look done
        # and its events would never go out. The other way round, a crash re-decides the event
        # and re-sends it under the same id, which every consumer treats as a duplicate.
        await acknowledged(await publish(out, decision.events))
        if decision.state is not None:
            store(table, key, decision.state)
