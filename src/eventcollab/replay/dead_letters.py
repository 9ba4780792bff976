"""Replaying dead letters: the dead-letter topic read to the end it had when the replay began,
the records to publish again planned (replay.letters), published and confirmed window by window
(replay.resend), with a progress bar, a checkpoint and a summary (replay.progress).

What a run did is kept twice: the marks on `dead-letter-replays` say which dead letters were
published (they are never published again, whatever happens to the run or its checkpoint), and
the checkpoint keeps where the run stood and the ends it began with, so that a run stopped by
SIGINT goes on over the same dead letters, not over the ones its own copies caused meanwhile.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab.audit.log import partitions_of
from eventcollab.dead_letter import DeadLetter
from eventcollab.replay.letters import Found, Original, Plan, plan
from eventcollab.replay.log import Span, position_key, reader, records_in, span_of
from eventcollab.replay.marks import Replayed, latest
from eventcollab.replay.progress import INTERRUPTED, Checkpoint, Tally, bar, stoppable
from eventcollab.replay.resend import Clients, Resend, Say, decoded
from eventcollab.runtime.kafka import client_options, declare_topics, new_producer, read_from_start
from eventcollab.settings import Settings
from eventcollab.topics import DEAD_LETTER_REPLAYS, DEAD_LETTERS

UNTIL = "until "  # checkpoint entries for the ends a run began with, beside the offsets reached
NOT_CONFIRMED = 1  # the exit code when a service did not read its copies in time


@dataclass(frozen=True, slots=True)
class Request:
    keep: Callable[[DeadLetter], bool]  # the listing's filters
    name: str  # of the checkpoint: one per deployment and filters
    window: int = 100  # records published before their processing is awaited
    wait: float = 60.0  # seconds a window waits for its services
    dry_run: bool = False
    restart: bool = False  # ignore the checkpoint (the marks still hold)


async def replay_dead_letters(settings: Settings, request: Request, say: Say) -> int:
    """Replay what the request selects; returns the command's exit code."""
    servers = client_options(settings)
    letters_topic = settings.topic_name(DEAD_LETTERS.name)
    marks_topic = settings.topic_name(DEAD_LETTER_REPLAYS.name)
    partitions = await partitions_of(servers, (letters_topic, marks_topic))
    checkpoint = Checkpoint(settings.data_dir / "replay" / f"{request.name}.json")
    if request.restart:
        checkpoint.offsets = {}
    consumer = reader(servers)
    await consumer.start()
    try:
        span = bounded(await span_of(consumer, on(partitions, letters_topic)), checkpoint)
        found = [Found(r, x) async for r in records_in(consumer, span) if (x := decoded(r))]
        marked = await read_from_start(servers, on(partitions, marks_topic))
        chosen = plan(found, latest(r.value for r in marked), request.keep, checkpoint.offsets)
        if request.dry_run:
            for line in planned(chosen):
                say(line)
            return 0
        if not (chosen.originals or chosen.to_confirm or chosen.refused):
            say("nothing to replay")
            checkpoint.remove()
            return 0
        if checkpoint.resumed:
            say(f"resuming from {checkpoint.path}")
        remember(checkpoint, span)
        clients = Clients(new_producer(settings), AIOKafkaAdminClient(**servers), consumer)
        await declare_topics(settings, [], [marks_topic])
        await clients.producer.start()
        await clients.admin.start()
        try:
            resend = Resend(settings, clients, marks_topic, span, say)
            resend.seen.update((one.letter.dead_letter_id, one.letter) for one in found)
            return await run(resend, chosen, request, checkpoint)
        finally:
            await clients.producer.stop()
            await clients.admin.close()
    finally:
        await consumer.stop()


async def run(resend: Resend, chosen: Plan, request: Request, checkpoint: Checkpoint) -> int:
    for letter in chosen.refused:
        resend.tally.add("refused (cut)")
        resend.say(
            f"{'refused (cut)':<13} {letter.dead_letter_id}  {letter.service:<10} {where(letter)}"
        )
    total = len(chosen.to_confirm) + chosen.letters
    published = 0
    with stoppable() as stop, bar("dead letters", total) as shown:
        # First what an earlier run published and could not confirm: never published again.
        left = await resend.confirm(chosen.to_confirm, request.wait, stop, shown)
        for window in windows(chosen.originals, request.window):
            if left or stop.asked:
                break
            sent: list[tuple[Original, list[Replayed]]] = []
            for original in window:
                if stop.asked:
                    break
                sent.append((original, await resend.publish(original)))
            left = await resend.confirm(
                [m for _, ms in sent for m in ms], request.wait, stop, shown
            )
            for original, marks in sent:
                if not any(mark in left for mark in marks):
                    checkpoint.finished(original.at)
            checkpoint.save()
            published += len(sent)
    stopped = stop.asked and bool(left or published < len(chosen.originals))
    return ended(resend, left, stopped, request, checkpoint)


def ended(
    resend: Resend, left: list[Replayed], stopped: bool, request: Request, checkpoint: Checkpoint
) -> int:
    say = resend.say
    for mark in left:
        resend.tally.add("not confirmed")
        say(f"{'not confirmed':<13} {mark.dead_letter_id}  {mark.service:<10} {mark.place()}")
    say(f"summary  {resend.tally.summary()}")
    if stopped:
        checkpoint.save()
        say("interrupted: the same command goes on where it stopped (nothing is published twice)")
        return INTERRUPTED
    if left:
        checkpoint.save()
        say(f"not confirmed within {request.wait:g} s: the same command confirms them later")
        return NOT_CONFIRMED
    checkpoint.remove()
    return 0


def planned(chosen: Plan) -> list[str]:
    """What a dry run shows: the records it would publish, with their dead letters."""
    tally = Tally()
    lines = []
    for original in chosen.originals:
        tally.add("records to publish")
        tally.add("dead letters to replay", len(original.letters))
        first = original.first
        lines.append(f"would publish  {where(first)}  key {first.key_text or '-'}")
        lines += [
            f"    {x.dead_letter_id}  {x.service:<10} {x.error_type}" for x in original.letters
        ]
    for letter in chosen.refused:
        tally.add("refused (cut)")
        lines.append(f"refused (cut)  {where(letter)}  {letter.dead_letter_id}")
    for mark in chosen.to_confirm:
        tally.add("to confirm")
        lines.append(f"to confirm     {mark.place()}  {mark.dead_letter_id}  {mark.service}")
    return [*lines, f"dry run  {tally.summary() if tally.counts else 'nothing to replay'}"]


def where(letter: DeadLetter) -> str:
    return f"{letter.topic}[{letter.partition}]@{letter.offset}"


def on(partitions: list[TopicPartition], topic: str) -> list[TopicPartition]:
    return [tp for tp in partitions if tp.topic == topic]


def windows(originals: list[Original], size: int) -> Iterator[list[Original]]:
    for start in range(0, len(originals), max(1, size)):
        yield originals[start : start + max(1, size)]


def bounded(span: Span, checkpoint: Checkpoint) -> Span:
    """The whole topic, up to the ends the interrupted run began with (when there was one)."""
    ends = {
        tp: checkpoint.offsets.get(UNTIL + position_key(tp), end) for tp, end in span.end.items()
    }
    return Span(span.start, ends)


def remember(checkpoint: Checkpoint, span: Span) -> None:
    for tp, end in span.end.items():
        checkpoint.offsets.setdefault(UNTIL + position_key(tp), end)
