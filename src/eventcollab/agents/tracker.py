"""Tracker: folds every workflow event into the status that the web view serves, and keeps the
index of workflows by status (see eventcollab.index)."""

from aiokafka import ConsumerRecord

from eventcollab import index, workflow
from eventcollab.agents import decoded
from eventcollab.clock import now
from eventcollab.codec import decode_event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import Topics
from eventcollab.workflow import WorkflowState

TABLES = ("workflows", index.BY_STATUS, index.COUNTS, index.FINISHED)


def record_step(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
    event = decoded(record, decode_event)
    if event is None:
        return
    key = event.correlation_id
    before = work.load("workflows", key, WorkflowState)
    after = workflow.apply(before, event, recorded_at=now())
    if after is None:
        return  # seen already: nothing changes
    work.save("workflows", key, after)
    reindex(work, index.changes(before, after))


def reindex(work: Work, change: index.IndexChange) -> None:
    if change.removed is not None:
        work.delete(index.BY_STATUS, change.removed)
    if change.added is not None:
        work.save(index.BY_STATUS, *change.added)
    for status, delta in change.counts.items():
        count(work, index.COUNTS, status, delta)
    if change.finished_minute is not None:
        count(work, index.FINISHED, change.finished_minute, 1)


def count(work: Work, table: str, key: str, delta: int) -> None:
    current = work.load(table, key, index.Count)
    work.save(table, key, index.Count(count=(current.count if current else 0) + delta))


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    inputs = (topics.orders, topics.payments, topics.inventory, topics.shipments)
    return [ProcessorSpec("tracker", inputs, record_step, TABLES)]
