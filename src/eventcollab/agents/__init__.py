"""The thin shell around the pure decisions: decode, decide, emit, store; a module a service."""

import logging
from collections.abc import Callable
from typing import TypeVar

from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError

from eventcollab.codec import decode_event
from eventcollab.domain import Decision
from eventcollab.models import Event
from eventcollab.runtime.processor import Handler
from eventcollab.runtime.work import Work

log = logging.getLogger(__name__)
S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")


def decoded(record: ConsumerRecord[bytes, bytes], decode: Callable[[bytes], T]) -> T | None:
    """The record as a model, or None when it does not decode: set aside, never fatal."""
    try:
        return decode(record.value or b"")
    except ValidationError as error:
        # Skipped, not retried: the same bytes would fail again. A dead-letter topic belongs here.
        log.error(
            "skipping undecodable record %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        return None


def reacting(
    table: str,
    state_type: type[S],
    decide: Callable[[S | None, Event], Decision[S]],
    out: str | None,
) -> Handler:
    """A service's handler: each event with its workflow's state in, new state and events out."""

    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        event = decoded(record, decode_event)
        if event is None:
            return
        key = event.correlation_id
        decision = decide(work.load(table, key, state_type), event)
        if out is not None:
            for emitted in decision.events:
                work.emit(out, emitted.correlation_id, emitted)
        if decision.state is not None:
            work.save(table, key, decision.state)

    return handle
