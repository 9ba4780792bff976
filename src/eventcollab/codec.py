"""Bytes in, models out, and back: the one place where serialization happens."""

from pydantic import BaseModel
from pydantic_core import to_json

from eventcollab.models import STOCK_COMMAND, WORKFLOW_EVENT, AnyStockCommand, WorkflowEvent


def encode(model: BaseModel) -> bytes:
    return to_json(model)


def decode_event(raw: bytes) -> WorkflowEvent:
    return WORKFLOW_EVENT.validate_json(raw)


def decode_stock_command(raw: bytes) -> AnyStockCommand:
    return STOCK_COMMAND.validate_json(raw)
