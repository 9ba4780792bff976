"""Bytes in, models out, and back: the one place where serialization happens."""

from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import to_json

from eventcollab.models import STOCK_COMMAND, WORKFLOW_EVENT, AnyStockCommand, WorkflowEvent

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    return to_json(model)


def decode_event(raw: bytes) -> WorkflowEvent:
    return WORKFLOW_EVENT.validate_json(raw)


def decode_stock_command(raw: bytes) -> AnyStockCommand:
    return STOCK_COMMAND.validate_json(raw)


def load(table: Any, key: str, model: type[M]) -> M | None:
    """Read a state model from a Faust table that stores encoded bytes."""
    raw = table.get(key.encode())
    return None if raw is None else model.model_validate_json(raw)


def store(table: Any, key: str, state: BaseModel) -> None:
    # Assigning (never mutating in place) is what sends the change to the changelog.
    table[key.encode()] = encode(state)
