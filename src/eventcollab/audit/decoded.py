"""The log as models: each event and command once, the tracker's latest states, bad records."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from pydantic import ValidationError

from eventcollab.audit.model import AuditLog, BadRecord, Record
from eventcollab.codec import decode_event, decode_stock_command
from eventcollab.models import AnyStockCommand, LineCommand, WithdrawStock, WorkflowEvent
from eventcollab.workflow import WorkflowState

T = TypeVar("T")
# Other kinds of state may share the tracker's changelog under other prefixes; only these count.
TRACKER_KEY_PREFIX = b"workflows/"


@dataclass(frozen=True, slots=True)
class Decoded:
    events: tuple[WorkflowEvent, ...]  # each event_id once: its first copy, in log order
    commands: tuple[AnyStockCommand, ...]  # each command_id once, in partition order
    tracker: Mapping[str, WorkflowState]  # the latest state per correlation id
    duplicate_events: int
    duplicate_commands: int
    bad_records: tuple[BadRecord, ...]


def decode(log: AuditLog) -> Decoded:
    events, event_copies, bad_events = once(log.workflow, decode_event, lambda e: e.event_id)
    commands, command_copies, bad_commands = once(
        log.stock_commands, checked_command, lambda c: c.command_id
    )
    tracker, bad_states = tracker_states(log.changelog)
    return Decoded(
        events=events,
        commands=commands,
        tracker=tracker,
        duplicate_events=event_copies,
        duplicate_commands=command_copies,
        bad_records=(*bad_events, *bad_commands, *bad_states),
    )


def once(
    records: Iterable[Record], parse: Callable[[bytes], T], identity: Callable[[T], UUID]
) -> tuple[tuple[T, ...], int, list[BadRecord]]:
    """Decoded models, one per id, with the count of extra copies and the records that failed."""
    kept: dict[UUID, T] = {}
    copies = 0
    bad: list[BadRecord] = []
    for record in records:
        try:
            item = parse(value_of(record))
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            bad.append(bad_record(record, error))
            continue
        copies += identity(item) in kept
        kept.setdefault(identity(item), item)
    return tuple(kept.values()), copies, bad


def checked_command(raw: bytes) -> AnyStockCommand:
    """A stock command, with the line it names checked against its order (the model does not)."""
    command = decode_stock_command(raw)
    if isinstance(command, LineCommand | WithdrawStock):
        lines = command.cause.order.lines
        if not 0 <= command.line_index < len(lines):
            raise ValueError(f"line_index {command.line_index} outside an order of {len(lines)}")
        if lines[command.line_index].sku != command.sku:
            raise ValueError(f"sku {command.sku} is not the sku of line {command.line_index}")
    return command


def tracker_states(records: Iterable[Record]) -> tuple[dict[str, WorkflowState], list[BadRecord]]:
    """The latest state per correlation id: a later record replaces, a tombstone deletes."""
    states: dict[str, WorkflowState] = {}
    bad: list[BadRecord] = []
    for record in records:
        if record.key is None or not record.key.startswith(TRACKER_KEY_PREFIX):
            continue
        try:
            correlation_id = record.key.removeprefix(TRACKER_KEY_PREFIX).decode()
        except UnicodeDecodeError as error:
            bad.append(bad_record(record, error))
            continue
        # An unreadable latest value leaves no state: the tracker could not serve it either.
        states.pop(correlation_id, None)
        if record.value is None:
            continue
        try:
            states[correlation_id] = WorkflowState.model_validate_json(record.value)
        except ValidationError as error:
            bad.append(bad_record(record, error))
    return states, bad


def value_of(record: Record) -> bytes:
    if record.value is None:
        raise ValueError("null value")
    return record.value


def bad_record(record: Record, error: ValueError) -> BadRecord:
    return BadRecord(record.topic, record.partition, record.offset, describe(error))


def describe(error: ValueError) -> str:
    """One line per bad record: the first validation error, and how many more there are."""
    if not isinstance(error, ValidationError):
        return str(error)
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "value"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
