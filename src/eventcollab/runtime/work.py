"""A unit of work: what a processor decided for a batch of records, not yet on the broker."""

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aiokafka import TopicPartition
from pydantic import BaseModel

from eventcollab.codec import encode
from eventcollab.runtime.store import changelog_key

M = TypeVar("M", bound=BaseModel)
ABSENT = object()  # in the undo log: the key had no change (or no decoded state) before


class PartitionState(Protocol):
    """What a unit of work reads of one partition's stored state."""

    def get(self, key: bytes) -> bytes | None: ...

    def scan(
        self, prefix: bytes, start: bytes | None = None, backwards: bool = False
    ) -> Iterator[tuple[bytes, bytes]]: ...


class States(Protocol):
    """A processor's stored state: the RocksDB store (runtime.store), or memory for a replay
    that must leave no state anywhere (runtime.memory)."""

    def partition(self, number: int) -> PartitionState: ...


class Work:
    """Handlers read state, store new state and emit records through this; nothing is sent yet.

    State is read and written on the partition of the record in hand: every input is keyed like
    the state it touches, so that partition is also the state's partition.
    """

    def __init__(
        self,
        store: States | None,
        limit: int,
        before: "Work | None" = None,
        horizon: datetime | None = None,
    ) -> None:
        self.store = store
        self.limit = limit
        # Events older than this that find no state are passed over (eventcollab.retention).
        # None outside a worker: a replay folds the log as the worker first decided it.
        self.horizon = horizon
        # The unit decided just before this one, whose state changes are not stored yet: this
        # unit reads them as if they were (see runtime.processor on why they wait).
        self.before = before
        self.outputs: list[tuple[str, str, bytes]] = []
        self.changes: dict[int, dict[bytes, bytes | None]] = defaultdict(dict)
        # The changes decoded: a state saved in this unit is read back without decoding it.
        self.states: dict[int, dict[bytes, BaseModel]] = defaultdict(dict)
        self.changed_bytes: dict[int, int] = defaultdict(int)
        self.held: dict[int, dict[bytes, bool]] = defaultdict(dict)  # see `saw`
        self.done: dict[TopicPartition, int] = {}
        self.partition = 0
        # Dead letters: (partition of the dead-letter topic, key, value), sent with the outputs.
        self.letters: list[tuple[int, bytes | None, bytes]] = []
        # The records of this unit by how they ended, counted once the unit is stored.
        self.processed = 0
        self.dead_lettered = 0
        self.retried = 0  # attempts after the first
        self.passed_over = 0  # records past the horizon that found no state (in `processed`)
        self.removed = 0  # entries removed past the horizon
        # What handlers noted for the processor's views (runtime.processor.Keeper), per
        # partition: told once the unit is stored.
        self.notes: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        # Since the last savepoint: outputs before `mark` stay; `undo` holds what each save or
        # delete replaced, so that a handler that raised leaves no trace in the unit.
        self.mark = 0
        self.mark_bytes = 0
        self.mark_notes = 0
        self.mark_passed_over = 0
        self.undo: list[tuple[bytes, object, object]] = []
        self.began = time.monotonic()  # made when its first record is taken (runtime.metrics)

    def take(self, tp: TopicPartition) -> None:
        self.partition = tp.partition

    def on(self, partition: int) -> None:
        """Work on `partition` without a record (a ticker's unit)."""
        self.partition = partition

    def scan(
        self, table: str, prefix: str = "", backwards: bool = False, start: str | None = None
    ) -> Iterator[tuple[str, bytes]]:
        """The table's stored keys that start with `prefix` (without the table's name) and
        their values on the partition in hand, in key order or backwards, from `start` on when
        given (itself included); what this unit changed is not seen."""
        assert self.store is not None, "a processor without tables has no state to read"
        within = changelog_key(table, "")
        prefix_bytes = changelog_key(table, prefix)
        first = changelog_key(table, start) if start is not None else None
        stored = self.store.partition(self.partition)
        for key, value in stored.scan(prefix_bytes, start=first, backwards=backwards):
            yield key[len(within) :].decode(), value

    def savepoint(self) -> None:
        """Before each record: what its handler saves and emits can be taken back whole."""
        self.mark = len(self.outputs)
        self.mark_bytes = self.changed_bytes[self.partition]
        self.mark_notes = len(self.notes[self.partition])
        self.mark_passed_over = self.passed_over
        if self.undo:
            self.undo.clear()

    def rollback(self) -> None:
        """Take back every save, delete, emit and count since the savepoint, last first."""
        del self.outputs[self.mark :]
        changes, states = self.changes[self.partition], self.states[self.partition]
        for stored, change, state in reversed(self.undo):
            restore(changes, stored, change)
            restore(states, stored, state)
        self.undo.clear()
        self.changed_bytes[self.partition] = self.mark_bytes
        del self.notes[self.partition][self.mark_notes :]
        self.passed_over = self.mark_passed_over
        if not changes:  # nothing of this partition to write: no empty batch to the changelog
            del self.changes[self.partition]
            self.states.pop(self.partition, None)

    def dead_letter(self, partition: int, key: bytes | None, value: bytes) -> None:
        self.letters.append((partition, key, value))
        self.dead_lettered += 1

    def finished(self, tp: TopicPartition, offset: int) -> None:
        self.done[tp] = offset + 1

    def load(self, table: str, key: str, model: type[M]) -> M | None:
        stored = changelog_key(table, key)
        unit: Work | None = self
        while unit is not None:  # this unit's changes, then the unit's before it
            pending = unit.states.get(self.partition)
            if pending is not None and stored in pending:
                state = pending[stored]
                assert isinstance(state, model)
                self.saw(unit, stored, True)
                return state
            if stored in unit.changes.get(self.partition, {}):
                self.saw(unit, stored, False)
                return None  # deleted in that unit (a saved state would be in `states`)
            unit = unit.before
        assert self.store is not None, "a processor without tables has no state to read"
        raw = self.store.partition(self.partition).get(stored)
        self.saw(None, stored, raw is not None)
        return None if raw is None else model.model_validate_json(raw)

    def saw(self, unit: "Work | None", stored: bytes, held: bool) -> None:
        """Whether the store holds the key when this unit is written, as a read found it before
        this unit changed it: the store keeps its count of keys without reading it again."""
        if unit is not self:
            self.held[self.partition].setdefault(stored, held)

    def stored(self, table: str, key: str) -> bytes | None:
        """The stored bytes of `key` on the partition in hand (not what this unit changed)."""
        assert self.store is not None, "a processor without tables has no state to read"
        return self.store.partition(self.partition).get(changelog_key(table, key))

    def save(self, table: str, key: str, state: BaseModel) -> None:
        value = encode(state)
        stored = changelog_key(table, key)
        self.remember(stored)
        self.changes[self.partition][stored] = value
        self.states[self.partition][stored] = state
        self.changed_bytes[self.partition] += len(value)

    def delete(self, table: str, key: str) -> None:
        """Remove the key: a tombstone on the changelog, a delete in RocksDB."""
        stored = changelog_key(table, key)
        self.remember(stored)
        self.changes[self.partition][stored] = None
        self.states[self.partition].pop(stored, None)
        self.changed_bytes[self.partition] += len(stored)

    def remember(self, stored: bytes) -> None:
        partition = self.partition
        before = self.changes[partition].get(stored, ABSENT)
        self.undo.append((stored, before, self.states[partition].get(stored, ABSENT)))

    def note(self, key: str, what: Any) -> None:
        """Tell the processor's views about `key` once this unit is stored (not before: a unit
        that fails is read again, and a view must see only what the store holds)."""
        self.notes[self.partition].append((key, what))

    def emit(self, topic: str, key: str, value: BaseModel) -> None:
        self.outputs.append((topic, key, encode(value)))

    @property
    def full(self) -> bool:
        """The partition in hand has as many state changes as one record batch should carry."""
        return self.changed_bytes[self.partition] >= self.limit


def restore(entries: dict[bytes, Any], key: bytes, before: object) -> None:
    if before is ABSENT:
        entries.pop(key, None)
    else:
        entries[key] = before
