"""Re-driving a workflow: which of its events are published again, at every step of every path."""

import random
from collections.abc import Callable

import pytest
from aiokafka import ConsumerRecord
from builders import (
    cancelled_path,
    declined_path,
    fold,
    happy_path,
    order_placed,
    out_of_stock_path,
    timed_out_path,
    unpaid_timeout_path,
)

from eventcollab.codec import encode
from eventcollab.models import Event
from eventcollab.replay.redrive import Logged, chosen, folded, to_redrive

# Per path, after each of its events in turn: the positions (in the path) of the events whose
# reaction is then missing, the ones a re-drive publishes again.
PICKS: list[tuple[Callable[[], list[Event]], list[list[int]]]] = [
    # placed, paid, reserved, scheduled, completed
    (happy_path, [[0], [1], [2], [3], []]),
    # placed, declined, rejected
    (declined_path, [[0], [1], []]),
    # placed, paid, unavailable, refunded, cancelled
    (out_of_stock_path, [[0], [1], [2], [3], []]),
    # placed, paid, cancel requested, cancelling, refunded, released, cancelled
    (cancelled_path, [[0], [1], [2], [3], [3], [4, 5], []]),
    # placed, paid, reserved, overdue, cancelling, refunded, released, cancelled, late shipment,
    # shipment cancelled
    (timed_out_path, [[0], [1], [2], [3], [4], [4], [5, 6], [], [], []]),
    # placed, overdue, cancelling, voided, released, cancelled
    (unpaid_timeout_path, [[0], [1], [2], [2], [3, 4], []]),
]


@pytest.mark.parametrize(("path", "picks"), PICKS, ids=lambda p: getattr(p, "__name__", ""))
def test_a_redrive_picks_the_events_whose_reaction_is_missing_at_every_step(
    path: Callable[[], list[Event]], picks: list[list[int]]
) -> None:
    events = path()
    assert len(picks) == len(events)

    for seen, expected in enumerate(picks, start=1):
        picked = [entry.event_id for entry in to_redrive(fold(events[:seen]))]

        assert picked == [events[at].event_id for at in expected], events[seen - 1].event_type


def test_a_workflow_waiting_for_its_payment_re_drives_its_order_placed() -> None:
    placed = order_placed()

    (picked,) = to_redrive(fold([placed]))

    assert picked.event_id == placed.event_id


def test_an_order_in_progress_whose_cancellation_orders_missed_re_drives_the_request() -> None:
    placed, paid, request, *_ = cancelled_path()

    picked = to_redrive(fold([placed, paid, request]))

    assert [entry.event_type for entry in picked] == ["CancelRequested"]


def record(event: Event, offset: int) -> ConsumerRecord[bytes, bytes]:
    key, value = event.correlation_id.encode(), encode(event)
    return ConsumerRecord("orders", 3, offset, 0, 0, key, value, None, len(key), len(value), ())


def test_the_first_record_of_an_event_is_published_again_whatever_the_order_read() -> None:
    events = happy_path()[:3]  # waiting for shipping: StockReserved
    logged = [Logged(event, record(event, n)) for n, event in enumerate(events)]
    copy = Logged(events[2], record(events[2], 99))  # the same event appended twice

    shuffler = random.Random(7)
    for _ in range(10):
        read = shuffler.sample(logged, len(logged))
        after = read.index(logged[2]) + 1
        read.insert(shuffler.randint(after, len(read)), copy)  # a copy comes after its original
        state, first = folded(read)

        (picked,) = chosen(state, first)

        assert picked.event.event_id == events[2].event_id
        assert picked.record.offset == 2


def test_nothing_is_picked_for_an_unknown_workflow() -> None:
    assert chosen(*folded([])) == []
