"""Bytes in, models out, and back: the one place where serialization happens."""

from pydantic import BaseModel
from pydantic_core import to_json

from eventcollab.models import (
    EVENT_TYPES,
    STOCK_COMMAND,
    WORKFLOW_EVENT,
    AnyStockCommand,
    WorkflowEvent,
)

# `encode` writes an event's type first: a reader can tell it without decoding the rest.
TYPE_FIRST = b'{"event_type":"'


def encode(model: BaseModel) -> bytes:
    return to_json(model)


def decode_event(raw: bytes) -> WorkflowEvent:
    return WORKFLOW_EVENT.validate_json(raw)


def decode_stock_command(raw: bytes) -> AnyStockCommand:
    return STOCK_COMMAND.validate_json(raw)


def event_type_of(raw: bytes) -> str | None:
    """The type of an encoded event when `encode` wrote it (its type first and one of ours);
    None for anything else, which then has to be decoded to be known."""
    if not raw.startswith(TYPE_FIRST):
        return None
    end = raw.find(b'"', len(TYPE_FIRST))
    kind = raw[len(TYPE_FIRST) : end].decode("ascii", "replace") if end > 0 else None
    return kind if kind in EVENT_TYPES else None
