"""Retries and dead letters in a real processor (RocksDB, fake Kafka clients).

A handler that raises is tried again, each attempt from the same savepoint; one that keeps
raising, or a record that does not decode, becomes a dead letter, and the partition goes on.
"""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from eventcollab.codec import decode_event, encode
from eventcollab.dead_letter import DeadLetter, dead_letter_id
from eventcollab.domain.payments import Payment
from eventcollab.runtime.failures import letter_partition
from eventcollab.runtime.processor import Handler
from eventcollab.runtime.retries import RetryPolicy
from eventcollab.runtime.work import Work
from tests.integration.fakes import FakeProducer
from tests.integration.processors import PARTITIONS, Harness, until
from tests.integration.test_processors import order_placed
from tests.integration.test_unit_of_work import on_one_partition
from tests.unit.builders import authorized, unavailable

NO_WAIT = RetryPolicy(attempts=3, first=0.0)
ATTEMPTS = "attempts"  # a topic that only the tests' handlers write to


class Bug(RuntimeError):
    pass


def raising(times: int | None, on: str) -> Any:
    """A handler that runs the service's own, then raises on records keyed `on`: the first
    `times` attempts (None: every one). What it saved and emitted must not survive."""

    def wrap(handler: Handler) -> Handler:
        attempts = 0

        def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
            nonlocal attempts
            handler(work, record)
            if record.key == on.encode():
                attempts += 1
                work.emit(ATTEMPTS, on, decode_event(record.value))  # one more trace to undo
                if times is None or attempts <= times:
                    raise Bug(f"attempt {attempts}")

        return handle

    return wrap


def harness(tmp_path: Path, wrap: Any = None, producer: FakeProducer | None = None) -> Harness:
    payments = Harness("payments", tmp_path, producer, wrap)
    payments.processor.failures.policy = NO_WAIT
    return payments


def letters(harness: Harness) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(v) for v in harness.emitted(harness.names.dead_letters)]


async def test_a_handler_that_raises_twice_then_succeeds_is_retried_and_processed(
    tmp_path: Path,
) -> None:
    placed = order_placed()
    payments = harness(tmp_path, raising(2, on=placed.correlation_id))

    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    [authorized] = payments.emitted(payments.names.payments)  # once, not once per attempt
    assert len(payments.emitted(ATTEMPTS)) == 1  # only the attempt that succeeded left a trace
    assert decode_event(authorized).event_type == "PaymentAuthorized"
    assert letters(payments) == []
    stored = payments.processor.lookup("payments", placed.correlation_id, Payment)
    assert stored is not None and stored.status == "authorized"
    counts = payments.processor.counts
    assert (counts.consumed, counts.processed, counts.dead_lettered, counts.retried) == (1, 1, 0, 2)
    assert [list(c.values()) for c in payments.consumer.commits] == [[1]]


async def test_a_handler_that_keeps_raising_is_dead_lettered_and_the_next_record_processed(
    tmp_path: Path,
) -> None:
    doomed, spared = on_one_partition(2)
    payments = harness(tmp_path, raising(None, on=doomed.correlation_id))

    await payments.processor.process(payments.keyed(payments.names.orders, doomed, spared))
    await payments.processor.flush_commits()

    [letter] = letters(payments)
    assert (letter.service, letter.topic, letter.offset) == ("payments", payments.names.orders, 0)
    assert (letter.key, letter.value) == (doomed.correlation_id.encode(), encode(doomed))
    assert (letter.error_type, letter.error, letter.attempts) == ("Bug", "attempt 3", 3)
    assert letter.dead_letter_id == dead_letter_id("payments", payments.names.orders, 0, 0)
    [authorized] = [decode_event(v) for v in payments.emitted(payments.names.payments)]
    assert authorized.correlation_id == spared.correlation_id  # nothing of the doomed order
    assert payments.emitted(ATTEMPTS) == []
    assert payments.processor.lookup("payments", doomed.correlation_id, Payment) is None
    assert payments.processor.lookup("payments", spared.correlation_id, Payment) is not None
    assert [list(c.values()) for c in payments.consumer.commits] == [[2]]  # past both
    counts = payments.processor.counts
    assert (counts.consumed, counts.processed, counts.dead_lettered, counts.retried) == (2, 1, 1, 2)


async def test_the_dead_letter_goes_to_the_partition_of_the_original_key(tmp_path: Path) -> None:
    placed = order_placed()
    payments = harness(tmp_path, raising(None, on=placed.correlation_id))

    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    [sent] = payments.producer.to(payments.names.dead_letters)
    [(key, _)] = sent.ack.batch  # type: ignore[attr-defined]
    assert key == placed.correlation_id.encode()
    record = ConsumerRecord("t", 0, 0, 0, 0, key, b"", None, 0, 0, ())
    assert sent.partition == letter_partition(record, PARTITIONS)
    assert sent.partition == payments.consumer.commits[0].popitem()[0].partition


async def test_an_undecodable_record_is_dead_lettered_at_once_without_retries(
    tmp_path: Path,
) -> None:
    placed = order_placed()
    calls: list[int] = []

    def counting(handler: Handler) -> Handler:
        def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
            calls.append(record.offset)
            handler(work, record)

        return handle

    payments = harness(tmp_path, counting)

    await payments.feed(
        payments.names.orders, placed.correlation_id, b"\x00 not json", encode(placed)
    )

    [letter] = letters(payments)
    assert (letter.error_type, letter.attempts, letter.value) == (
        "undecodable",
        1,
        b"\x00 not json",
    )
    assert calls == [0, 1]  # the refused record was not tried again
    assert len(payments.emitted(payments.names.payments)) == 1
    assert payments.processor.counts.retried == 0


async def test_a_record_passed_over_by_type_counts_as_processed(tmp_path: Path) -> None:
    missing = unavailable(authorized())  # on `inventory`, which shipping reads for others too
    shipping = Harness("shipping", tmp_path)

    await shipping.feed(shipping.names.inventory, missing.correlation_id, encode(missing))

    assert shipping.emitted(shipping.names.dead_letters) == []
    assert (shipping.processor.counts.processed, shipping.processor.counts.dead_lettered) == (1, 0)


async def test_the_dead_letter_is_acknowledged_before_state_is_stored_and_offsets_committed(
    tmp_path: Path,
) -> None:
    producer = FakeProducer()
    payments = harness(tmp_path, producer=producer)
    placed = order_placed()
    batch = payments.batch(payments.names.orders, placed.correlation_id, b"{}", encode(placed))

    unit = asyncio.create_task(payments.processor.process(batch))
    await until(lambda: producer.to(payments.names.dead_letters))
    assert producer.to(payments.processor.changelog or "") == []
    assert payments.processor.counts.consumed == 0  # counted once the unit is stored
    producer.acknowledge()  # the broker has the dead letter and PaymentAuthorized
    await until(lambda: producer.to(payments.processor.changelog or ""))
    assert payments.consumer.commits == []
    producer.acknowledge()  # the changelog batch
    await unit
    await payments.processor.flush_commits()

    assert [list(c.values()) for c in payments.consumer.commits] == [[2]]
    assert (payments.processor.counts.processed, payments.processor.counts.dead_lettered) == (1, 1)


async def test_a_broker_that_refuses_the_dead_letter_fails_the_unit_not_the_record(
    tmp_path: Path,
) -> None:
    producer = FakeProducer()
    payments = harness(tmp_path, producer=producer)
    placed = order_placed()
    batch = payments.batch(payments.names.orders, placed.correlation_id, b"{}")

    unit = asyncio.create_task(payments.processor.process(batch))
    await until(lambda: producer.to(payments.names.dead_letters))
    producer.fail(ConnectionError("broker gone"))
    with pytest.raises(ConnectionError):
        await unit  # the processor's loop rewinds and does the unit again

    assert payments.consumer.commits == []
    assert payments.processor.counts.consumed == 0
    assert len(producer.to(payments.names.dead_letters)) == 1  # no dead letter of a dead letter
