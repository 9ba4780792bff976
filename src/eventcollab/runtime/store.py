"""A processor's state: RocksDB per partition, backed by a compacted changelog topic.

Every state change goes to the changelog first and to the local RocksDB after the broker has it,
together with the changelog offset it reached (the checkpoint). A worker that takes over a
partition, or restarts with a lost or stale data folder, reads the changelog from its checkpoint
to the end before it processes anything: the changelog is the truth, RocksDB a cache of it.
"""

import logging
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from rocksdict import (
    BlockBasedOptions,
    Cache,
    Options,
    Rdict,
    WriteBatch,
    WriteBufferManager,
    WriteOptions,
)

log = logging.getLogger(__name__)

# The store's own records start with a NUL byte, as no table name does.
OWN = b"\x00"
CHECKPOINT = b"\x00checkpoint"
# How many table keys the store holds, kept with each write: RocksDB's own estimate counts every
# overwrite and each write's checkpoint until a compaction, so it hardly falls when keys leave.
KEY_COUNT = b"\x00keys"

# RocksDB's own write-ahead log is left out, as Kafka Streams does: the changelog is the log.
# Each write carries its changelog checkpoint in the same batch, so a crash that loses the
# latest writes loses their checkpoint too, and the restore reads them back from the changelog.
WITHOUT_LOG = WriteOptions()
WITHOUT_LOG.disable_wal = True  # type: ignore[method-assign,assignment]  # a property; the stub says method


# One memory budget for every partition store of a worker (8 partitions of each of five processors
# make 40 databases). Left to RocksDB's defaults each would grow a 64 MiB memtable and keep an
# 8 MiB block cache of its own; without the write-ahead log nothing flushes a memtable early, so
# a long-running worker's memory grew by about 1.6 GB an hour while its tables stayed flat. The
# shared write-buffer manager flushes the largest memtable once all of them together near the
# limit, and every table reads through one block cache.
MEMTABLE_BUDGET = 64 * 1024 * 1024
MEMTABLE_BYTES = 4 * 1024 * 1024
BLOCK_CACHE_BYTES = 64 * 1024 * 1024
SHARED_MEMTABLES = WriteBufferManager(MEMTABLE_BUDGET, False)
SHARED_BLOCK_CACHE = Cache(BLOCK_CACHE_BYTES)


def store_options() -> Options:
    options = Options(raw_mode=True)
    options.set_write_buffer_size(MEMTABLE_BYTES)
    options.set_write_buffer_manager(SHARED_MEMTABLES)
    tables = BlockBasedOptions()
    tables.set_block_cache(SHARED_BLOCK_CACHE)
    options.set_block_based_table_factory(tables)
    return options


def changelog_key(table: str, key: str) -> bytes:
    return f"{table}/{key}".encode()


class PartitionStore:
    """The state of one partition of one processor, on local disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = Rdict(str(path), store_options())
        self.db.set_write_options(WITHOUT_LOG)
        self.key_count = self.counted()

    @property
    def checkpoint(self) -> int:
        raw = self.db.get(CHECKPOINT)
        return int(raw) if raw is not None else 0

    def counted(self) -> int:
        raw = self.db.get(KEY_COUNT)
        if raw is not None:
            return int(raw)
        # Written before the count was kept (or empty): counted once, kept from the next write.
        return sum(1 for key, _ in self.scan(b"") if not key.startswith(OWN))

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self.db.get(key)
        return value

    def scan(
        self, prefix: bytes, start: bytes | None = None, backwards: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Keys with `prefix` and their values, in key order from `start` (or the first), or
        backwards from `start` (or the last)."""
        if start is None:
            start = prefix if not backwards else prefix + b"\xff"
        for key, value in self.db.items(from_key=start, backwards=backwards):
            assert isinstance(key, bytes)  # raw mode: keys are bytes (the stub allows more)
            if not key.startswith(prefix):
                return
            yield key, value

    def write(
        self,
        changes: dict[bytes, bytes | None],
        checkpoint: int,
        held: Mapping[bytes, bool] | None = None,
    ) -> None:
        """Apply changes, the changelog offset they reach and the key count, atomically.

        `held`: whether the store holds some of the keys, as the unit of work read them; any
        other key is looked up (a read of 5-40 us).
        """
        batch = WriteBatch(raw_mode=True)
        count = self.key_count
        known = held or {}
        for key, value in changes.items():
            holds = known.get(key)
            if holds is None:
                holds = self.db.get(key) is not None
            if value is None:
                batch.delete(key)
                count -= holds
            else:
                batch.put(key, value)
                count += not holds
        batch.put(CHECKPOINT, str(checkpoint).encode())
        batch.put(KEY_COUNT, str(count).encode())
        self.db.write(batch)
        self.key_count = count

    def wipe(self) -> "PartitionStore":
        self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        return PartitionStore(self.path)

    def close(self) -> None:
        self.db.close()


class Store:
    """Every partition of one processor's state, and their changelog topic."""

    def __init__(self, root: Path, changelog: str) -> None:
        self.root = root
        self.changelog = changelog
        self.partitions: dict[int, PartitionStore] = {}

    def partition(self, number: int) -> PartitionStore:
        if number not in self.partitions:
            self.root.mkdir(parents=True, exist_ok=True)
            self.partitions[number] = PartitionStore(self.root / f"{number}.db")
        return self.partitions[number]

    def opened(self, number: int) -> PartitionStore | None:
        """The partition's store if it is open; never opens one (safe from another thread)."""
        return self.partitions.get(number)

    async def restore(self, consumer: AIOKafkaConsumer, numbers: list[int]) -> int:
        """Bring the given partitions up to the end of the changelog; returns records read."""
        tps = [TopicPartition(self.changelog, n) for n in numbers]
        if not tps:
            return 0
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        read = 0
        for tp in tps:
            store = self.partition(tp.partition)
            if not starts[tp] <= store.checkpoint <= ends[tp]:
                # The changelog was recreated or trimmed under us: this copy belongs to another log.
                log.warning("%s: local state does not match the changelog; rebuilding", tp)
                store = self.partitions[tp.partition] = store.wipe()
            read += await self.catch_up(consumer, tp, store, ends[tp])
        return read

    async def catch_up(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, store: PartitionStore, end: int
    ) -> int:
        position, read = store.checkpoint, 0
        if position >= end:
            return 0
        consumer.assign([tp])
        consumer.seek(tp, position)
        while position < end:
            records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
            # Compaction leaves holes in the offsets: the consumer's position is what counts.
            position = await consumer.position(tp)
            if records:
                store.write({r.key: r.value for r in records}, position)
                read += len(records)
        return read

    def flush(self) -> None:
        """Everything written so far on disk (there is no write-ahead log to replay it from)."""
        for store in self.partitions.values():
            store.db.flush()

    def close(self) -> None:
        for store in self.partitions.values():
            store.close()
        self.partitions.clear()
