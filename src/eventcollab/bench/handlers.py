"""CPU per workflow of the decisions alone: every processor's handler, records routed in memory.

No broker, no RocksDB, no event loop: each record goes through the handler of every processor
that reads its topic, in a unit of work of its own on a state kept in memory, and what the
handler emits is read next, as a worker would read it back. What is left of the worker's CPU per
workflow (the benchmark's figure) beyond this is the runtime's: Kafka clients, RocksDB, turns.
A figure that moves by less than the full benchmark's spread shows here, and `--profile` says
where it goes.

    python -m eventcollab.bench.handlers [--workflows N] [--profile]
"""

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeAlias
from uuid import uuid4

from aiokafka import ConsumerRecord

from eventcollab.app import PROCESSORS
from eventcollab.bench.feed import RESTOCK_UNITS, SKUS, Placed, orders
from eventcollab.bench.watch import COMPLETED
from eventcollab.codec import encode
from eventcollab.models import AddStock
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.offline import decided
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.topics import Topics, declare

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass
class Chain:
    """Every processor of the workflow, reading what the others emit, on in-memory state."""

    settings: Settings = field(default_factory=Settings.model_construct)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    completed: int = 0
    records: int = 0

    def __post_init__(self) -> None:
        self.topics: Topics = declare(self.settings)
        specs = [spec for made in PROCESSORS.values() for spec in made(self.settings, self.topics)]
        self.stores = {spec.name: MemoryStore() for spec in specs}
        self.readers: dict[str, list[ProcessorSpec]] = {}
        for spec in specs:
            for topic in spec.inputs:
                self.readers.setdefault(topic, []).append(spec)

    def record(self, topic: str, key: str, value: bytes) -> Record:
        partition = partition_for(key, self.settings.partitions)
        offset = self.offsets.get((topic, partition), 0)
        self.offsets[topic, partition] = offset + 1
        return ConsumerRecord(
            topic, partition, offset, 0, 0, key.encode(), value, None, len(key), len(value), ()
        )

    def restock(self) -> None:
        self.run(
            self.record(self.topics.stock_commands, sku, encode(command))
            for sku in SKUS
            for command in [AddStock(command_id=uuid4(), sku=sku, quantity=RESTOCK_UNITS)]
        )

    def place(self, placed: list[Placed]) -> None:
        self.run(self.record(self.topics.orders, key, value) for key, value in placed)

    def run(self, first: Iterable[Record]) -> None:
        waiting = deque(first)
        while waiting:
            record = waiting.popleft()
            self.records += 1
            if record.topic == self.topics.orders and COMPLETED in (record.value or b""):
                self.completed += 1
            for spec in self.readers.get(record.topic, []):
                store = self.stores[spec.name]
                work = decided(spec.handler, store, record)
                store.write(work.changes)
                waiting.extend(self.record(*output) for output in work.outputs)


def measure(workflows: int, seed: int = 1) -> dict[str, float]:
    """CPU microseconds per workflow through every handler, after a warm-up of 300."""
    chain = Chain()
    chain.restock()
    chain.place(orders(300, random.Random(seed)))
    placed = orders(workflows, random.Random(seed + 1))
    before, records = chain.completed, chain.records
    began = time.process_time()
    chain.place(placed)
    spent = time.process_time() - began
    return {
        "workflows": workflows,
        "completed": chain.completed - before,
        "records": chain.records - records,
        "cpu_us_per_workflow": round(spent / workflows * 1e6, 1),
    }


def profiled(workflows: int, shown: int = 25) -> str:
    chain = Chain()
    chain.restock()
    placed = orders(workflows, random.Random(2))
    profiler = cProfile.Profile()
    profiler.runcall(chain.place, placed)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(shown)
    return out.getvalue()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="eventcollab.bench.handlers", description=__doc__)
    parser.add_argument("--workflows", type=int, default=3_000)
    parser.add_argument("--profile", action="store_true", help="cProfile's busiest functions")
    args = parser.parse_args(argv)
    if args.profile:
        print(profiled(args.workflows))
        return 0
    result = measure(args.workflows)
    print(
        f"{result['completed']:,} of {result['workflows']:,} workflows completed, "
        f"{result['records']:,} records: {result['cpu_us_per_workflow']:,} us of CPU a workflow"
    )
    return 0 if result["completed"] == result["workflows"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
