"""A processor's state in memory: what a replay folds when it must leave no state anywhere.

It answers the reads a unit of work makes (`get`, `scan`) like the RocksDB store, and takes a
unit's changes with `write`; nothing reaches the disk or a changelog.
"""

from collections.abc import Iterator, Mapping
from typing import TypeVar

from pydantic import BaseModel

from eventcollab.runtime.decoded import Decoded

M = TypeVar("M", bound=BaseModel)


class MemoryPartition:
    def __init__(self, entries: Mapping[bytes, bytes] | None = None) -> None:
        self.entries: dict[bytes, bytes] = dict(entries or {})
        self.decoded = Decoded()

    def get(self, key: bytes) -> bytes | None:
        return self.entries.get(key)

    def state(self, key: bytes, model: type[M]) -> M | None:
        state = self.decoded.get(key, model)
        if state is None and (raw := self.entries.get(key)) is not None:
            state = model.model_validate_json(raw)
            self.decoded.put(key, state)
        return state

    def scan(
        self, prefix: bytes, start: bytes | None = None, backwards: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Keys with `prefix` and their values, in key order from `start`, or backwards from
        `start`, as the RocksDB store gives them."""
        keys = sorted((k for k in self.entries if k.startswith(prefix)), reverse=backwards)
        for key in keys:
            if start is None or (key <= start if backwards else key >= start):
                yield key, self.entries[key]

    def write(
        self,
        changes: Mapping[bytes, bytes | None],
        states: Mapping[bytes, BaseModel] | None = None,
    ) -> None:
        """The changes, and their decoded states where given (as `PartitionStore.write`)."""
        for key, value in changes.items():
            if value is None:
                self.entries.pop(key, None)
            else:
                self.entries[key] = value
        self.decoded.written(changes, states)


class MemoryStore:
    """Every partition's state of one processor, in memory."""

    def __init__(self) -> None:
        self.partitions: dict[int, MemoryPartition] = {}

    def partition(self, number: int) -> MemoryPartition:
        if number not in self.partitions:
            self.partitions[number] = MemoryPartition()
        return self.partitions[number]

    def write(
        self,
        changes: Mapping[int, Mapping[bytes, bytes | None]],
        states: Mapping[int, Mapping[bytes, BaseModel]] | None = None,
    ) -> None:
        """A unit of work's changes (`Work.changes`) and their decoded states (`Work.states`),
        as the processor writes them to RocksDB."""
        for number, entries in changes.items():
            self.partition(number).write(entries, (states or {}).get(number))
