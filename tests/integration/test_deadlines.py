"""The tracker's deadline check over its real RocksDB store: what is overdue is reported, once."""

from datetime import timedelta
from pathlib import Path

from eventcollab.codec import decode_event, encode
from eventcollab.models import StepOverdue
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
