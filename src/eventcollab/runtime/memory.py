"""A processor's state in memory: what a replay folds when it must leave no state anywhere.

It answers the reads a unit of work makes (`get`, `scan`) like the RocksDB store, and takes a
unit's changes with `write`; nothing reaches the disk or a changelog.
"""

from collections.abc import Iterator, Mapping


class MemoryPartition:
    def __init__(self, entries: Mapping[bytes, bytes] | None = None) -> None:
        self.entries: dict[bytes, bytes] = dict(entries or {})

    def get(self, key: bytes) -> bytes | None:
        return self.entries.get(key)

    def scan(
        self, prefix: bytes, start: bytes | None = None, backwards: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Keys with `prefix` and their values, in key order from `start`, or backwards from
        `start`, as the RocksDB store gives them."""
        keys = sorted((k for k in self.entries if k.startswith(prefix)), reverse=backwards)
        for key in keys:
            if start is None or (key <= start if backwards else key >= start):
                yield key, self.entries[key]

    def write(self, changes: Mapping[bytes, bytes | None]) -> None:
        for key, value in changes.items():
            if value is None:
                self.entries.pop(key, None)
            else:
                self.entries[key] = value


class MemoryStore:
    """Every partition's state of one processor, in memory."""

    def __init__(self) -> None:
        self.partitions: dict[int, MemoryPartition] = {}

    def partition(self, number: int) -> MemoryPartition:
        return self.partitions.setdefault(number, MemoryPartition())

    def write(self, changes: Mapping[int, Mapping[bytes, bytes | None]]) -> None:
        """A unit of work's changes (`Work.changes`), as the processor writes them to RocksDB."""
        for number, entries in changes.items():
            self.partition(number).write(entries)
