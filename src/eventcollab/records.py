"""What a service accepts from a topic: a record that decodes, validates, and is keyed by what
it carries. Anything else is refused for good: the same bytes would fail again, so a refused
record goes to the dead-letter topic at once, without retries (see eventcollab.dead_letter)."""

from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import ValidationError

from eventcollab.codec import decode_event, decode_stock_command
from eventcollab.models import AnyStockCommand, LineCommand, WithdrawStock, WorkflowEvent

# undecodable: not JSON (or no value at all); invalid: JSON that is not one of our events or
# commands; wrong-key: a valid event or command under another key than the one it belongs to,
# which would put it, and the state it touches, on another partition than its own.
RefusalKind = Literal["undecodable", "invalid", "wrong-key"]
REFUSAL_KINDS: tuple[RefusalKind, ...] = ("undecodable", "invalid", "wrong-key")
T = TypeVar("T")


class Refused(ValueError):
    """A record no handler can act on."""

    def __init__(self, kind: RefusalKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def event_of(key: bytes | None, value: bytes | None) -> WorkflowEvent:
    """The workflow event of a record keyed by its correlation id."""
    event = decoded(value, decode_event)
    if key != event.correlation_id.encode():
        raise Refused(
            "wrong-key", f"key {shown(key)} is not the correlation id {event.correlation_id}"
        )
    return event


def command_of(key: bytes | None, value: bytes | None) -> AnyStockCommand:
    """The stock command of a record keyed by its SKU, naming a line its order has."""
    command = decoded(value, decode_stock_command)
    if key != command.sku.encode():
        raise Refused("wrong-key", f"key {shown(key)} is not the sku {command.sku}")
    if isinstance(command, LineCommand | WithdrawStock):
        lines = command.cause.order.lines
        if not 0 <= command.line_index < len(lines):
            message = f"line_index {command.line_index} outside an order of {len(lines)} lines"
            raise Refused("invalid", message)
        if lines[command.line_index].sku != command.sku:
            raise Refused(
                "invalid", f"sku {command.sku} is not the sku of line {command.line_index}"
            )
    return command


def decoded(value: bytes | None, decode: Callable[[bytes], T]) -> T:
    if value is None:
        raise Refused("undecodable", "null value")
    try:
        return decode(value)
    except ValidationError as error:
        unreadable = all(e["type"] == "json_invalid" for e in error.errors())
        raise Refused("undecodable" if unreadable else "invalid", describe(error)) from None


def describe(error: ValueError) -> str:
    """One line: the first validation error, and how many more there are."""
    if not isinstance(error, ValidationError):
        return str(error)
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "value"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def shown(key: bytes | None) -> str:
    return "none" if key is None else repr(key.decode(errors="replace"))[:80]
