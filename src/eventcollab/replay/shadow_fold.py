"""A processor's handler run over the log in memory: the worker's own logic, deciding with the
code and settings of now, its state folded in memory (runtime.memory) and its outputs kept for
comparison, never sent."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventcollab.codec import event_type_of
from eventcollab.models import AddStock, Event
from eventcollab.records import Refused, command_of, event_of
from eventcollab.replay.log import Record
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.offline import decided
from eventcollab.runtime.processor import Handler


@dataclass(frozen=True, slots=True)
class Decided:
    outputs: tuple[bytes, ...]  # the values it would publish, in order
    failed: bool = False  # the handler raised: the worker would dead-letter the record


class ShadowFold:
    def __init__(self, handler: Handler, store: MemoryStore | None = None) -> None:
        self.handler = handler
        self.store = store or MemoryStore()

    def decide(self, record: Record) -> Decided:
        """What the handler decides for the record now; its state changes are kept."""
        try:
            work = decided(self.handler, self.store, record)
        except Exception:
            return Decided((), failed=True)
        self.store.write(work.changes)
        return Decided(tuple(value for _, _, value in work.outputs))


@dataclass(frozen=True, slots=True)
class Input:
    """A record of the log as a processor's input: what it is, whose, and when."""

    input_id: UUID
    kind: str
    correlation_id: str | None  # none for a restock
    occurred_at: datetime
    where: str

    def within(self, since: datetime | None, until: datetime | None) -> bool:
        return (since is None or self.occurred_at >= since) and (
            until is None or self.occurred_at < until
        )


def input_of(
    record: Record, reads_commands: bool, reacts_to: frozenset[str] | None
) -> Input | None:
    """The record as an input to compare; None when the processor passes over its type or
    refuses it (not one of ours, or keyed wrong)."""
    where = f"{record.topic}[{record.partition}]@{record.offset}"
    kind = event_type_of(record.value or b"")
    if reacts_to is not None and kind is not None and kind not in reacts_to:
        return None
    try:
        if not reads_commands:
            event = event_of(record.key, record.value)
            if reacts_to is not None and event.event_type not in reacts_to:
                return None
            return Input(
                event.event_id, event.event_type, event.correlation_id, event.occurred_at, where
            )
        command = command_of(record.key, record.value)
    except Refused:
        return None
    if isinstance(command, AddStock):
        restocked = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        return Input(command.command_id, command.command_type, None, restocked, where)
    cause: Event = command.cause
    return Input(
        command.command_id, command.command_type, cause.correlation_id, cause.occurred_at, where
    )
