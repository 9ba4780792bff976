"""`eventcollab shadow PROCESSOR`: a processor's decisions made again over the log, in memory,
against what the log shows; publishes nothing and writes no state, but its checkpoint.

Its inputs are read from the beginning, each partition in order (all partitions, or those of
the given ids when its state is kept by correlation id), so that its state is folded as the
worker folded it; only the inputs selected (time range, ids) are compared. An interrupted run
keeps its offsets, its state so far, its findings and counts with the checkpoint, and goes on
from there when run again (with the same selection and settings).
"""

import asyncio
import hashlib
import heapq
import json
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition

from eventcollab.audit.log import partitions_of
from eventcollab.codec import decode_event, decode_stock_command
from eventcollab.replay import attribution, shadow
from eventcollab.replay.log import Record, Span, reader, records_in, span_of
from eventcollab.replay.progress import INTERRUPTED, Checkpoint, Tally, bar, stoppable
from eventcollab.replay.shadow_fold import Input, ShadowFold, input_of
from eventcollab.runtime.kafka import client_options, partition_for, read_from_start
from eventcollab.runtime.memory import MemoryPartition, MemoryStore
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.topics import STOCK_COMMANDS, Topics

Say = Callable[[str], None]


@dataclass(frozen=True)
class Selection:
    """Which inputs are compared; the state is folded from all of them regardless."""

    since: datetime | None = None
    until: datetime | None = None
    ids: frozenset[str] = frozenset()

    def keeps(self, chosen: Input) -> bool:
        wanted = not self.ids or chosen.correlation_id in self.ids
        return wanted and chosen.within(self.since, self.until)


class ShadowCheckpoint(Checkpoint):
    """The offsets finished, with what the replay built up to them: its folded state, its
    findings, its counts and the inputs it compared (an input on the log twice is compared
    once, as the worker decided it once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        kept: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        self.offsets = {k: int(v) for k, v in kept.get("offsets", {}).items()}
        self.store = MemoryStore()
        for number, entries in kept.get("state", {}).items():
            self.store.partitions[int(number)] = MemoryPartition(
                {k.encode(): v.encode() for k, v in entries.items()}
            )
        self.findings = [shadow.Finding.model_validate(f) for f in kept.get("findings", [])]
        self.tally = Tally()
        self.tally.counts.update(kept.get("counts", {}))
        self.compared: set[UUID] = {UUID(i) for i in kept.get("compared", [])}

    def save(self) -> None:
        kept = {
            "offsets": self.offsets,
            # Keys and values are UTF-8: `table/key` and JSON.
            "state": {
                str(number): {k.decode(): v.decode() for k, v in part.entries.items()}
                for number, part in self.store.partitions.items()
            },
            "findings": [f.model_dump(mode="json") for f in self.findings],
            "counts": dict(self.tally.counts),
            "compared": sorted(str(i) for i in self.compared),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        written = self.path.with_suffix(".tmp")
        written.write_text(json.dumps(kept, sort_keys=True))
        written.replace(self.path)


@dataclass
class LogOutputs:
    """The records a processor wrote on the log, by id, and by the input that decided them."""

    by_id: dict[UUID, shadow.Output] = field(default_factory=dict)
    by_input: dict[UUID, list[shadow.Output]] = field(default_factory=lambda: defaultdict(list))

    def add(self, processor: str, record: Record, commands: bool) -> None:
        try:
            value = record.value or b""
            written = decode_stock_command(value) if commands else decode_event(value)
        except ValueError:
            return  # not ours: the dead letters tell about it
        output_id = attribution.id_of(written)
        if output_id in self.by_id:
            return  # published twice (at least once delivery): one decision
        output = shadow.output_of(value)
        self.by_id[output_id] = output
        for decider in attribution.deciders(processor, written):
            self.by_input[decider].append(output)


def spec_of(processor: str, settings: Settings, topics: Topics) -> ProcessorSpec:
    # The services' wiring lives with the app, which imports the commands (this module).
    from eventcollab.app import PROCESSORS

    specs = [spec for build in PROCESSORS.values() for spec in build(settings, topics)]
    return next(spec for spec in specs if spec.name == processor)


def checkpoint_path(settings: Settings, processor: str, selection: Selection) -> Path:
    """One checkpoint per processor, selection and settings: another question starts afresh."""
    asked = {
        "processor": processor,
        "since": selection.since.isoformat() if selection.since else None,
        "until": selection.until.isoformat() if selection.until else None,
        "ids": sorted(selection.ids),
        "settings": settings.model_dump(mode="json"),
    }
    digest = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()[:12]
    return settings.data_dir / "replay" / f"shadow-{processor}-{digest}.json"


async def input_partitions(
    settings: Settings, spec: ProcessorSpec, selection: Selection
) -> list[TopicPartition]:
    partitions = await partitions_of(client_options(settings), spec.inputs)
    keyed_by_sku = settings.topic_name(STOCK_COMMANDS.name) in spec.inputs
    if not selection.ids or keyed_by_sku:
        return partitions  # a SKU's stock depends on every order: all of it is folded
    count = len({tp.partition for tp in partitions})
    chosen = {partition_for(cid, count) for cid in selection.ids}
    return [tp for tp in partitions if tp.partition in chosen]


async def log_outputs(settings: Settings, processor: str) -> LogOutputs:
    names = tuple(settings.topic_name(spec.name) for spec in attribution.WRITES[processor])
    commands = settings.topic_name(STOCK_COMMANDS.name)
    servers = client_options(settings)
    outputs = LogOutputs()
    for record in await read_from_start(servers, await partitions_of(servers, names)):
        outputs.add(processor, record, record.topic == commands)
    return outputs


class Comparison:
    """Each input decided again, and compared when selected."""

    def __init__(
        self, spec: ProcessorSpec, selection: Selection, kept: ShadowCheckpoint, on_log: LogOutputs
    ) -> None:
        self.fold = ShadowFold(spec.handler, kept.store)
        self.selection, self.kept, self.on_log = selection, kept, on_log
        self.reacts_to = attribution.REACTS_TO.get(spec.name)
        self.reads_commands = spec.name == "stock"

    def step(self, record: Record) -> None:
        tally = self.kept.tally
        tally.add("read")
        decided = self.fold.decide(record)
        chosen = input_of(record, self.reads_commands, self.reacts_to)
        if chosen is None or not self.selection.keeps(chosen):
            return
        if chosen.input_id in self.kept.compared:
            return  # on the log twice: decided once
        self.kept.compared.add(chosen.input_id)
        tally.add("compared")
        if decided.failed:
            tally.add("failed")
        now = [shadow.output_of(value) for value in decided.outputs]
        logged = self.on_log.by_input.get(chosen.input_id, [])
        found = shadow.differences(now, logged, self.on_log.by_id)
        if not found:
            tally.add("identical")
            return
        tally.add("different")
        for difference in found:
            tally.add(difference.change)
        self.kept.findings.append(
            shadow.Finding(
                correlation_id=chosen.correlation_id or "-",
                input_kind=chosen.kind,
                input_id=chosen.input_id,
                occurred_at=chosen.occurred_at,
                where=chosen.where,
                differences=found,
            )
        )


async def shadow_replay(
    settings: Settings,
    topics: Topics,
    processor: str,
    selection: Selection,
    say: Say,
    restart: bool = False,
    rate: float = 0.0,
) -> int:
    """Run the replay; returns the exit code (INTERRUPTED when SIGINT stopped it)."""
    spec = spec_of(processor, settings, topics)
    kept = ShadowCheckpoint(checkpoint_path(settings, processor, selection))
    if restart:
        kept.remove()
        kept = ShadowCheckpoint(kept.path)
    consumer = reader(client_options(settings))
    await consumer.start()
    try:
        span = await span_of(
            consumer, await input_partitions(settings, spec, selection), kept.offsets
        )
        # Read after the input's ends were fixed: the outputs of every input replayed are there.
        comparison = Comparison(spec, selection, kept, await log_outputs(settings, processor))
        if kept.resumed:
            say(f"resuming from {kept.path} ({kept.tally.counts['read']:,} inputs read before)")
        announced = f"shadow replay of {processor}: {span.total:,} input records to read"
        stopped = await replay(consumer, span, comparison, rate, lambda: say(announced))
    finally:
        await consumer.stop()
    for line in shadow.report(kept.findings):
        say(line)
    for line in shadow.summary(kept.tally.counts):
        say(line)
    if stopped:
        kept.save()
        say(f"interrupted: run the same command again to resume ({kept.path})")
        return INTERRUPTED
    kept.remove()
    return 0


async def replay(
    consumer: AIOKafkaConsumer,
    span: Span,
    comparison: Comparison,
    rate: float,
    started: Callable[[], None],
) -> bool:
    """Every record of the span through the comparison; True when SIGINT stopped it.
    `started` is told once SIGINT stops the replay between records (not before)."""
    kept = comparison.kept
    with stoppable() as stop, bar("shadow replay", span.total) as progress:
        started()
        for record in await in_time_order(consumer, span):
            comparison.step(record)
            kept.finished(record)
            progress.advance()
            if stop.asked:
                return True
            if rate > 0:
                await asyncio.sleep(1 / rate)
    return stop.asked


async def in_time_order(consumer: AIOKafkaConsumer, span: Span) -> list[Record]:
    """The span's records, each partition in its order, the partitions merged by time.

    The worker read its input topics side by side, and an answer is always written after the
    record it answers was read: payments read an OrderPlaced before the StockUnavailable that
    followed from it on another topic. Merged by record time, the replay reads them in that
    order too; read as fetched, it could fold the answer first and decide otherwise. The merge
    of the records left after a checkpoint is the rest of the whole merge: a resumed replay
    reads what the uninterrupted one would have.
    """
    every = cast(AsyncGenerator[Record, None], records_in(consumer, span))
    async with aclosing(every) as records:
        return time_ordered([record async for record in records])


def time_ordered(records: Iterable[Record]) -> list[Record]:
    """Each partition's records in offset order, the partitions merged by record time."""
    partitions: dict[tuple[str, int], list[Record]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        partitions[(record.topic, record.partition)].append(record)
    ordered = [partitions[key] for key in sorted(partitions)]
    return list(heapq.merge(*ordered, key=lambda r: (r.timestamp, r.topic, r.partition)))
