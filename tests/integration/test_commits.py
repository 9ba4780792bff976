"""Offsets are committed in the background, one commit at a time, and never lost or early.

The next unit of work does not wait for the commit of the last one; offsets finished meanwhile
go together in the next commit; a refused commit's offsets go with the next; and a rebalance or a
stop waits for the commit in flight, so that the next owner starts after everything finished.
"""

import asyncio
from pathlib import Path

from aiokafka import TopicPartition

from eventcollab.codec import encode
from tests.integration.fakes import GatedConsumer
from tests.integration.processors import Harness, until
from tests.integration.test_processors import order_placed


def gated(tmp_path: Path) -> tuple[Harness, GatedConsumer]:
    payments = Harness("payments", tmp_path)
    consumer = GatedConsumer(assigned=payments.consumer.assigned)
    payments.consumer = payments.processor.consumer = consumer  # type: ignore[assignment]
    return payments, consumer


async def place(payments: Harness) -> TopicPartition:
    """One order through a unit of work; returns the input partition it was read from."""
    placed = order_placed()
    batch = payments.batch(payments.names.orders, placed.correlation_id, encode(placed))
    await payments.processor.process(batch)
    [tp] = batch
    return tp


async def test_the_next_unit_does_not_wait_for_the_last_commit(tmp_path: Path) -> None:
    payments, consumer = gated(tmp_path)

    first = await place(payments)
    await until(lambda: consumer.tried)
    second = await place(payments)  # finished while the first commit still waits

    assert len(payments.emitted(payments.names.payments)) == 2
    assert consumer.commits == []
    consumer.release()
    await payments.processor.flush_commits()
    assert consumer.tried[0] == {first: consumer.tried[0][first]}
    # What finished while a commit was in flight goes in the next one, together.
    merged = {**consumer.tried[0], **consumer.tried[-1]}
    assert set(merged) == {first, second}
    assert consumer.commits[-1][second] == consumer.tried[-1][second]


async def test_a_refused_commit_is_retried_with_the_next(tmp_path: Path) -> None:
    payments, consumer = gated(tmp_path)
    consumer.refuse = 2  # the background commit and the retry of the flush
    consumer.release()

    first = await place(payments)
    await until(lambda: consumer.tried)
    await payments.processor.flush_commits()
    assert consumer.commits == []  # refused
    second = await place(payments)
    await payments.processor.flush_commits()

    committed = consumer.commits[-1]
    assert first in committed and second in committed
    assert committed[first] == payments.processor.finished[first]


async def test_a_rebalance_waits_for_the_commit_in_flight(tmp_path: Path) -> None:
    payments, consumer = gated(tmp_path)
    tp = await place(payments)
    finished = payments.processor.finished[tp]
    await until(lambda: consumer.tried)

    revoked = asyncio.create_task(payments.processor.revoked(list(consumer.assigned)))
    for _ in range(50):
        await asyncio.sleep(0)
    assert not revoked.done()  # the partitions are not given up before their offsets are in
    consumer.release()
    await revoked

    assert consumer.commits == [{tp: finished}]
    assert payments.processor.uncommitted == {}
