"""The log as models: each event and command once, the tracker's latest states, bad records,
and the dead letters. A record is decoded and validated as the services do it (its key
included: see eventcollab.records), so what they refused is a bad record here too."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from pydantic import ValidationError

from eventcollab.audit.model import AuditLog, BadRecord, Record
from eventcollab.dead_letter import DeadLetter
from eventcollab.dead_letter import once as each_once
from eventcollab.models import AnyStockCommand, WorkflowEvent
from eventcollab.records import command_of, describe, event_of
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
    dead_letters: tuple[DeadLetter, ...] = ()  # each once


def decode(log: AuditLog) -> Decoded:
    events, event_copies, bad_events = once(
        log.workflow, lambda r: event_of(r.key, r.value), lambda e: e.event_id
    )
    commands, command_copies, bad_commands = once(
        log.stock_commands, lambda r: command_of(r.key, r.value), lambda c: c.command_id
    )
    tracker, bad_states = tracker_states(log.changelog)
    letters, bad_letters = dead_letters(log.dead_letters)
    return Decoded(
        events=events,
        commands=commands,
        tracker=tracker,
        duplicate_events=event_copies,
        duplicate_commands=command_copies,
        bad_records=(*bad_events, *bad_commands, *bad_states, *bad_letters),
        dead_letters=letters,
    )


def once(
    records: Iterable[Record], parse: Callable[[Record], T], identity: Callable[[T], UUID]
) -> tuple[tuple[T, ...], int, list[BadRecord]]:
    """Decoded models, one per id, with the count of extra copies and the records that failed."""
    kept: dict[UUID, T] = {}
    copies = 0
    bad: list[BadRecord] = []
    for record in records:
        try:
            item = parse(record)
        except ValueError as error:  # a refusal, as pydantic's ValidationError, is a ValueError
            bad.append(bad_record(record, error))
            continue
        copies += identity(item) in kept
        kept.setdefault(identity(item), item)
    return tuple(kept.values()), copies, bad


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


def dead_letters(records: Iterable[Record]) -> tuple[tuple[DeadLetter, ...], list[BadRecord]]:
    letters: list[DeadLetter] = []
    bad: list[BadRecord] = []
    for record in records:
        try:
            letters.append(DeadLetter.model_validate_json(record.value or b""))
        except ValidationError as error:
            bad.append(bad_record(record, error))
    return tuple(each_once(letters)), bad


def bad_record(record: Record, error: ValueError) -> BadRecord:
    return BadRecord(record.topic, record.partition, record.offset, describe(error))
