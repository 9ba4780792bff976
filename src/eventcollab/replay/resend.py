"""Dead letters published again to their topics, each marked once its service has read the copy.

For each window of records: publish each copy, mark its dead letters "published" (before the
next record: a replay run again never publishes it twice), then wait until the consumer group
of each dead letter's service (`<app id>-<service>`) has committed past the copy's offset. The
service stores its outputs, dead letters included, before it commits, so the copy's own dead
letter is on the topic by then, under an id derived from the copy's place: there is one (the
record "failed again") or none ("done").
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.dead_letter import DeadLetter
from eventcollab.replay.letters import Original, copy_letter_id
from eventcollab.replay.log import Record, Span, records_in
from eventcollab.replay.marks import Replayed, concluded, published
from eventcollab.replay.progress import Bar, Stop, Tally
from eventcollab.settings import Settings

POLL_SECONDS = 0.2
Say = Callable[[str], None]


def decoded(record: Record) -> DeadLetter | None:
    """The dead letter a record holds; None for anything else, which a replay passes over."""
    try:
        return DeadLetter.model_validate_json(record.value or b"")
    except ValidationError:
        return None


@dataclass
class Clients:
    producer: AIOKafkaProducer
    admin: AIOKafkaAdminClient
    reader: AIOKafkaConsumer


class Resend:
    """One run's publishing and confirming; what it did goes to `tally` and `say`."""

    def __init__(
        self, settings: Settings, clients: Clients, marks_topic: str, read: Span, say: Say
    ) -> None:
        self.settings, self.clients, self.say = settings, clients, say
        self.marks_topic = marks_topic
        # Every dead letter read so far, and where reading stopped: a copy's dead letter is
        # looked for among them, after reading what came since.
        self.seen: dict[UUID, DeadLetter] = {}
        self.read_to = dict(read.end)
        self.tally = Tally()

    async def publish(self, original: Original) -> list[Replayed]:
        first = original.first
        sent = await self.clients.producer.send_and_wait(
            first.topic,
            first.value,
            key=first.key,
            partition=first.partition,
            headers=original.headers(),
        )
        marks = [published(letter, sent.offset, now()) for letter in original.letters]
        await self.mark(marks)
        self.tally.add("records published")
        return marks

    async def mark(self, marks: list[Replayed]) -> None:
        producer = self.clients.producer
        pending = [
            await producer.send(self.marks_topic, encode(m), key=str(m.dead_letter_id).encode())
            for m in marks
        ]
        await asyncio.gather(*pending)

    async def confirm(
        self, marks: list[Replayed], seconds: float, stop: Stop, bar: Bar
    ) -> list[Replayed]:
        """Wait until each service has read past its copy, then mark the outcome. Returns the
        marks still unconfirmed when `seconds` passed or SIGINT came."""
        deadline = time.monotonic() + seconds
        pending = list(marks)
        while pending and not stop.asked:
            read = await self.committed({mark.service for mark in pending})
            past = [m for m in pending if read.get((m.service, place(m)), -1) > m.offset]
            if past:
                await self.look()
                outcomes = [concluded(m, self.seen.get(copy_letter_id(m)), now()) for m in past]
                await self.mark(outcomes)
                for outcome in outcomes:
                    self.told(outcome)
                    bar.advance()
                pending = [m for m in pending if m not in past]
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        return pending

    def told(self, mark: Replayed) -> None:
        self.tally.add(mark.outcome)
        again = f"  dead letter {mark.again}" if mark.again else ""
        self.say(
            f"{mark.outcome:<13} {mark.dead_letter_id}  {mark.service:<10} {mark.place()}{again}"
        )

    async def committed(self, services: set[str]) -> dict[tuple[str, TopicPartition], int]:
        found = {}
        for service in services:
            group = self.settings.group_of(service)
            offsets = await self.clients.admin.list_consumer_group_offsets(group)
            found.update({(service, tp): meta.offset for tp, meta in offsets.items()})
        return found

    async def look(self) -> None:
        """Read the dead letters written since the last look."""
        reader = self.clients.reader
        ends = await reader.end_offsets(list(self.read_to))
        async for record in records_in(reader, Span(dict(self.read_to), ends)):
            letter = decoded(record)
            if letter is not None:
                self.seen.setdefault(letter.dead_letter_id, letter)
        self.read_to = ends


def place(mark: Replayed) -> TopicPartition:
    return TopicPartition(mark.topic, mark.partition)
