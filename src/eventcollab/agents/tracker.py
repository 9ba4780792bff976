"""Tracker: folds every workflow event into the status that the web view serves, keeps the
index of workflows by status (see eventcollab.index), reports steps past their deadline (see
eventcollab.deadlines), and lets finished workflows go past the state retention (see
agents.retiring)."""

from datetime import datetime
from itertools import islice

from aiokafka import ConsumerRecord

from eventcollab import deadlines, index, retention, workflow
from eventcollab.agents import event_in, retiring
from eventcollab.agents.indexing import reindex
from eventcollab.clock import now
from eventcollab.runtime.processor import ProcessorSpec, Ticker
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.topics import Topics
from eventcollab.workflow import WorkflowState

TABLES = ("workflows", index.BY_STATUS, index.COUNTS, index.FINISHED, index.RETIRED)


def record_step(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
    event = event_in(record)
    key = event.correlation_id
    before = work.load("workflows", key, WorkflowState)
    if retention.passed_over(event.occurred_at, before, work.horizon):
        work.passed_over += 1  # its workflow may have left: starting it again would redo it
        return
    after = workflow.apply(before, event, recorded_at=now())
    if after is None:
        return  # seen already: nothing changes
    work.save("workflows", key, after)
    work.note(key, event.event_id)  # for the flow map (flowmap.live)
    reindex(work, index.changes(before, after))


# Orders looked at per partition and check: a bound on the time a check takes when many orders
# are stuck. Most of them cost a RocksDB read and no decoding (see `report_overdue`).
CHECKED_PER_PARTITION = 10_000


def report_overdue(limits: deadlines.Deadlines, out: str) -> Ticker:
    """Report every order in progress whose awaited step is past its deadline.

    Orders in progress are read oldest first from the index; a step starts no earlier than its
    order, so none is overdue once an order is younger than the shortest deadline. An older
    order waiting for a step with a long deadline is looked at every check: its due time is
    remembered with its stored bytes, and decoded again only when those changed.
    """
    known: dict[int, dict[str, tuple[int, datetime | None]]] = {}

    def check(work: Work, at: datetime) -> None:
        remembered: dict[str, tuple[int, datetime | None]] = known.get(work.partition, {})
        seen: dict[str, tuple[int, datetime | None]] = {}
        oldest = work.scan(index.BY_STATUS, prefix="in_progress/", backwards=True)
        for key, _ in islice(oldest, CHECKED_PER_PARTITION):
            started_at, correlation_id = index.started_of(key)
            if started_at + limits.shortest > at:
                break
            raw = work.stored("workflows", correlation_id)
            if raw is None:
                continue
            digest, state = hash(raw), None
            cached = remembered.get(correlation_id)
            if cached is not None and cached[0] == digest:
                due = cached[1]
            else:
                state = WorkflowState.model_validate_json(raw)
                due = deadlines.due_at(state, limits)
            seen[correlation_id] = (digest, due)
            if due is not None and due <= at:
                state = state or WorkflowState.model_validate_json(raw)
                report = deadlines.overdue(state, limits, at)
                if report is not None:
                    work.emit(out, report.correlation_id, report)
        known[work.partition] = seen

    return check


def limits_of(settings: Settings) -> deadlines.Deadlines:
    return deadlines.Deadlines(
        authorize=settings.deadline_authorize_seconds,
        reserve=settings.deadline_reserve_seconds,
        schedule=settings.deadline_schedule_seconds,
    )


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    inputs = (
        topics.orders,
        topics.cancellations,
        topics.payments,
        topics.inventory,
        topics.shipments,
        topics.deadlines,
    )
    overdue = report_overdue(limits_of(settings), topics.deadlines)
    retire = retiring.retire_finished(settings)  # keeps its own, longer interval

    def check(work: Work, at: datetime) -> None:
        overdue(work, at)
        retire(work, at)

    return [
        ProcessorSpec(
            "tracker",
            inputs,
            record_step,
            TABLES,
            tick=check,
            tick_seconds=min(
                settings.deadline_check_seconds, settings.state_retention_check_seconds
            ),
        )
    ]
