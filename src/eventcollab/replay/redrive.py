"""Re-driving one workflow after a fix: its events read back from the log, folded as the tracker
folds them, and the events whose reaction is missing published again, byte for byte.

A re-published event keeps its id, so every service that reacted to it already passes over it
(they keep one payment, one reservation, one shipment, one outcome per order, and the tracker one
timeline entry per event id), and the one that missed it reacts: nothing downstream happens
twice. Which events those are is a pure function of the fold (`to_redrive`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import TopicPartition

from eventcollab.audit.log import partitions_of
from eventcollab.models import Event
from eventcollab.records import Refused, event_of
from eventcollab.replay.log import Record, reader, records_in, span_of
from eventcollab.replay.progress import Stop, Tally, bar
from eventcollab.runtime.kafka import client_options, new_producer, partition_for
from eventcollab.settings import Settings
from eventcollab.topics import WORKFLOW_TOPICS
from eventcollab.workflow import (
    ANSWERS,
    CANCEL,
    TERMINAL,
    TimelineEntry,
    WorkflowState,
    apply,
    waiting_since,
)

# A customer's or a deadline's request to cancel, which orders answers with OrderCancelling.
CANCEL_REQUESTS = frozenset({"CancelRequested", "StepOverdue"})


def to_redrive(state: WorkflowState) -> tuple[TimelineEntry, ...]:
    """The steps whose reaction is missing, for a workflow that has not ended (else none)."""
    timeline = state.timeline
    if state.status in TERMINAL:
        return ()
    if state.status == "compensating":
        cancellations = [e for e in timeline if e.event_type == "OrderCancelling"]
        if state.waiting_for != CANCEL:
            return tuple(cancellations)  # payments or inventory has not undone its part
        # Both answered and orders did not conclude: it missed an answer, not the cancellation.
        ids = {e.event_id for e in cancellations}
        return tuple(e for e in timeline if e.event_type in ANSWERS and e.causation_id in ids)
    # In progress with a request to cancel: orders missed it (it would be compensating), and
    # had it not, the order would be cancelled now whatever step it waited for.
    requests = tuple(e for e in timeline if e.event_type in CANCEL_REQUESTS)
    if requests:
        return requests
    started = waiting_since(state)
    return (started,) if started is not None else ()


@dataclass(frozen=True, slots=True)
class Logged:
    """An event of the workflow and the record that carried it."""

    event: Event
    record: Record


def folded(logged: Iterable[Logged]) -> tuple[WorkflowState | None, dict[str, Logged]]:
    """The tracker's fold of the events, and the first record of each event id."""
    state: WorkflowState | None = None
    first: dict[str, Logged] = {}
    for one in logged:
        state = apply(state, one.event) or state
        first.setdefault(str(one.event.event_id), one)
    return state, first


def chosen(state: WorkflowState | None, first: dict[str, Logged]) -> list[Logged]:
    if state is None:
        return []
    return [first[str(entry.event_id)] for entry in to_redrive(state)]


async def read_workflow(
    settings: Settings, correlation_id: str, stop: Stop, tally: Tally
) -> list[Logged]:
    """The workflow's events, from its partition of every workflow topic, up to the ends they
    had when the read began. Records of other workflows share those partitions: passed over."""
    servers = client_options(settings)
    number = partition_for(correlation_id, settings.partitions)
    names = tuple(settings.topic_name(spec.name) for spec in WORKFLOW_TOPICS)
    partitions = [tp for tp in await partitions_of(servers, names) if tp.partition == number]
    key, found = correlation_id.encode(), []
    consumer = reader(servers)
    await consumer.start()
    try:
        span = await span_of(consumer, sorted(partitions, key=position))
        with bar(f"reading {correlation_id}", span.total) as shown:
            async for record in records_in(consumer, span):
                if stop.asked:
                    break
                shown.advance()
                tally.add("records read")
                if record.key == key:
                    found += logged_in(record, tally)
    finally:
        await consumer.stop()
    return found


def position(tp: TopicPartition) -> tuple[str, int]:
    return tp.topic, tp.partition


def logged_in(record: Record, tally: Tally) -> list[Logged]:
    try:
        event = event_of(record.key, record.value)
    except Refused:
        tally.add("refused (not re-driven)")  # the services refused it too: a dead letter
        return []
    tally.add("events of the workflow")
    return [Logged(event, record)]


async def republish(settings: Settings, records: list[Record]) -> None:
    """Each record again, as it was: same topic, partition, key, value and headers."""
    producer = new_producer(settings)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                record.topic,
                record.value,
                key=record.key,
                partition=record.partition,
                headers=list(record.headers) or None,
            )
    finally:
        await producer.stop()
