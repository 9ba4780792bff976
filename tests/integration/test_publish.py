"""Outputs leave a unit of work as record batches per topic partition, in their order."""

from typing import Any

import pytest

from eventcollab.runtime import publish
from eventcollab.runtime.kafka import partition_for
from tests.integration.fakes import FakeProducer


def entries(count: int) -> list[publish.Entry]:
    return [(f"k{n}".encode(), f"v{n}".encode()) for n in range(count)]


async def test_records_that_outgrow_a_batch_go_in_as_many_as_needed_in_order() -> None:
    producer = FakeProducer(auto=True, batch_capacity=2)

    pending = await publish.send(producer, "payments", 3, entries(5))  # type: ignore[arg-type]

    assert len(pending) == 3
    sent: list[Any] = [record for s in producer.to("payments") for record in s.ack.batch]
    assert sent == entries(5)
    assert {s.partition for s in producer.to("payments")} == {3}


async def test_a_record_larger_than_a_batch_is_refused() -> None:
    producer = FakeProducer(auto=True, batch_capacity=0)
    with pytest.raises(ValueError, match="larger than a record batch"):
        await publish.send(producer, "payments", 0, entries(1))  # type: ignore[arg-type]


def test_outputs_are_grouped_by_topic_and_the_partition_of_their_key() -> None:
    outputs = [("payments", "a", b"1"), ("orders", "a", b"2"), ("payments", "a", b"3")]

    grouped = publish.by_partition(outputs, 8)

    where = partition_for("a", 8)
    assert grouped == {
        ("payments", where): [(b"a", b"1"), (b"a", b"3")],
        ("orders", where): [(b"a", b"2")],
    }
