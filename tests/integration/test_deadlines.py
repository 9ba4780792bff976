"""The tracker's deadline check over its real RocksDB store: what is overdue is reported, once."""

from datetime import timedelta
from pathlib import Path

from eventcollab.agents.tracker import report_overdue
from eventcollab.codec import decode_event, encode
from eventcollab.deadlines import Deadlines
from eventcollab.models import StepOverdue
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.work import Work
from tests.integration.processors import Harness
from tests.unit.builders import at, authorized, happy_path, order_placed


async def test_overdue_steps_are_reported_once_and_young_orders_are_left_alone(
    tmp_path: Path,
) -> None:
    tracker = Harness("tracker", tmp_path)
    names, tick = tracker.names, tracker.processor.spec.tick
    assert tick is not None
    unpaid = order_placed(occurred_at=at(0))
    unreserved = order_placed(occurred_at=at(1))
    paid = authorized(unreserved, at(2))
    for event in (unpaid, unreserved, paid, *happy_path()):
        await tracker.feed(names.orders, event.correlation_id, encode(event))

    await tracker.processor.ticked(tick)  # now: long past every deadline

    reports = [decode_event(raw) for raw in tracker.emitted(names.deadlines)]
    assert all(isinstance(report, StepOverdue) for report in reports)
    assert {(r.correlation_id, r.causation_id) for r in reports} == {
        (unpaid.correlation_id, unpaid.event_id),
        (unreserved.correlation_id, paid.event_id),
    }

    for report in reports:  # read back from `deadlines`, as the tracker reads every topic
        await tracker.feed(names.deadlines, report.correlation_id, encode(report))
    await tracker.processor.ticked(tick)
    assert len(tracker.emitted(names.deadlines)) == 2  # reported once

    young = order_placed(occurred_at=at(0) + timedelta(days=1))
    await tracker.feed(names.orders, young.correlation_id, encode(young))
    for partition in range(tracker.settings.partitions):
        work = Work(tracker.processor.store, 1_000_000)
        work.on(partition)
        tick(work, young.occurred_at + timedelta(seconds=119))  # its deadline is 120 s
        assert work.outputs == []


async def test_a_remembered_due_time_is_not_trusted_once_the_order_moved_on(
    tmp_path: Path,
) -> None:
    """Reserving may have a shorter deadline than authorizing: after the payment, the order is
    due earlier than the due time remembered for it while it waited for the payment."""
    tracker = Harness("tracker", tmp_path)
    names = tracker.names
    check = report_overdue(Deadlines(authorize=100, reserve=10, schedule=100), names.deadlines)
    placed = order_placed(occurred_at=at(0))
    partition = partition_for(placed.correlation_id, tracker.settings.partitions)

    def checked(seconds: int) -> list[bytes]:
        work = Work(tracker.processor.store, 1_000_000)
        work.on(partition)
        check(work, at(seconds))
        return [value for _, _, value in work.outputs]

    await tracker.feed(names.orders, placed.correlation_id, encode(placed))
    assert checked(50) == []  # due at 100, remembered
    paid = authorized(placed, at(55))
    await tracker.feed(names.payments, paid.correlation_id, encode(paid))

    [report] = [decode_event(raw) for raw in checked(70)]  # due at 65 now
    assert isinstance(report, StepOverdue) and report.causation_id == paid.event_id
