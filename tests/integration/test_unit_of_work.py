"""What a processor does before and after the broker acknowledges: the order of a unit of work.

The fake producer resolves nothing by itself, so each test decides when the broker answers and
checks that state is stored and offsets committed only after every earlier step was acknowledged.
"""

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from eventcollab.codec import decode_event, encode
from eventcollab.domain.inventory import StockLevel
from eventcollab.domain.payments import Payment
from eventcollab.models import AddStock, OrderPlaced
from eventcollab.runtime import processor as processor_module
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.work import Work
from tests.integration.fakes import FakeProducer, record
from tests.integration.processors import PARTITIONS, Harness, until
from tests.integration.test_processors import order_placed


def on_one_partition(count: int) -> list[OrderPlaced]:
    """Orders whose correlation ids all fall on partition 0 of the harness's topics."""
    found: list[OrderPlaced] = []
    while len(found) < count:
        placed = order_placed()
        if partition_for(placed.correlation_id, PARTITIONS) == 0:
            found.append(placed)
    return found


async def reserve_command(data_dir: Path) -> bytes:
    payments, inventory = Harness("payments", data_dir), Harness("inventory", data_dir)
    placed = order_placed()
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    await inventory.feed(
        inventory.names.payments, placed.correlation_id, *payments.emitted(payments.names.payments)
    )
    [reserve] = inventory.emitted(inventory.names.stock_commands)
    return reserve


async def test_stock_keeper_stores_and_commits_only_after_each_acknowledgement(
    tmp_path: Path,
) -> None:
    reserve = await reserve_command(tmp_path / "upstream")
    producer = FakeProducer()
    stock = Harness("stock", tmp_path / "stock", producer)
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=3))
    changelog = stock.processor.changelog

    unit = asyncio.create_task(
        stock.processor.process(stock.batch(stock.names.stock_commands, "PEN", restock, reserve))
    )
    await until(lambda: producer.to(stock.names.inventory))
    assert producer.to(changelog or "") == []  # state goes out only after the events
    producer.acknowledge()  # the broker has StockReserved
    await until(lambda: producer.to(changelog or ""))
    assert stock.processor.lookup("stock", "PEN", StockLevel) is None
    assert stock.consumer.commits == []
    producer.acknowledge()  # the broker has the changelog batch
    await unit
    await stock.processor.flush_commits()  # commits go in the background

    assert stock.processor.lookup("stock", "PEN", StockLevel) == StockLevel(available=2)
    assert [list(c.values()) for c in stock.consumer.commits] == [[2]]


async def test_a_state_change_reaches_the_changelog_as_one_batch_per_partition(
    tmp_path: Path,
) -> None:
    reserve = await reserve_command(tmp_path / "upstream")
    stock = Harness("stock", tmp_path / "stock")
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=3))

    await stock.feed(stock.names.stock_commands, "PEN", restock, reserve)

    [batch] = stock.producer.to(stock.processor.changelog or "")
    keys = sorted(key for key, _ in batch.ack.batch)  # type: ignore[attr-defined]
    assert keys[0] == b"stock/PEN" and keys[1].startswith(b"stock_ledger/PEN/")
    assert len(keys) == 3  # the level once (its last value), both ledger entries


async def refused(payments: Harness, placed: OrderPlaced) -> None:
    """Feed `placed` and have the broker refuse what the unit sends; the unit must fail."""
    unit = asyncio.create_task(
        payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    )
    await until(lambda: payments.producer.sent)
    payments.producer.fail(ConnectionError("broker gone"))
    with pytest.raises(ConnectionError):
        await unit


async def test_a_refused_acknowledgement_stores_nothing_and_commits_nothing(
    tmp_path: Path,
) -> None:
    producer = FakeProducer()
    payments = Harness("payments", tmp_path, producer)
    placed = order_placed()

    await refused(payments, placed)

    assert payments.processor.lookup("payments", placed.correlation_id, Payment) is None
    assert payments.consumer.commits == []
    assert producer.to(payments.processor.changelog or "") == []


async def test_after_a_failed_unit_the_same_records_decide_the_same_events(
    tmp_path: Path,
) -> None:
    producer = FakeProducer()
    payments = Harness("payments", tmp_path, producer)
    placed = order_placed()
    await refused(payments, placed)

    producer.auto = True
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    sent = [decode_event(s.value or b"") for s in producer.published(payments.names.payments)]
    assert len(sent) == 2
    assert sent[0].event_id == sent[1].event_id  # the same event again, which consumers ignore


async def test_records_of_a_partition_taken_away_are_not_processed(tmp_path: Path) -> None:
    payments = Harness("payments", tmp_path)
    placed = order_placed()
    batch = payments.batch(payments.names.orders, placed.correlation_id, encode(placed))
    [tp] = batch
    payments.consumer.assigned.discard(tp)

    await payments.processor.process(batch)

    assert payments.producer.sent == []
    assert payments.consumer.commits == []


async def test_a_unit_is_split_when_its_state_changes_outgrow_one_record_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor_module, "UNIT_BYTES", 1)  # every state change fills a unit
    tracker = Harness("tracker", tmp_path)
    placed = on_one_partition(3)

    await tracker.processor.process(tracker.keyed(tracker.names.orders, *placed))
    await tracker.processor.flush_commits()

    assert [list(c.values()) for c in tracker.consumer.commits] == [[1], [2], [3]]
    assert len(tracker.producer.to(tracker.processor.changelog or "")) == 3


async def test_a_unit_that_fails_is_read_again_from_after_the_last_finished_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor_module, "RETRY_SECONDS", 0)
    payments = Harness("payments", tmp_path)
    first, second = on_one_partition(2)
    handler, calls = payments.processor.spec.handler, []

    def counting(work: Work, record: Any) -> None:
        calls.append(record.offset)
        handler(work, record)

    payments.processor.spec = replace(payments.processor.spec, handler=counting)
    commit, refused = payments.processor.commit, []

    async def broker_refuses_once(work: Work) -> None:
        if 2 in work.done.values() and not refused:
            refused.append(work)
            raise ConnectionError("broker gone")  # the broker's fault, not the record's
        await commit(work)

    payments.processor.commit = broker_refuses_once  # type: ignore[method-assign]
    one = payments.keyed(payments.names.orders, first)
    [tp] = one
    record_1 = record(tp.topic, tp.partition, 1, second.correlation_id, encode(second))
    # Nothing waits after the first unit: its state goes to the changelog alone, and is stored.
    payments.consumer.batches = [one, {}, {tp: [record_1]}, {tp: [record_1]}]
    payments.consumer.when_empty = lambda: setattr(payments.processor, "stopping", True)

    await payments.processor.run()
    await payments.processor.flush_commits()

    seeks = dict(payments.consumer.seeks)
    assert seeks[tp] == 1  # back to the record whose unit failed, not past it
    assert set(seeks.values()) == {0, 1}  # the other partitions: their commits (none yet)
    assert payments.consumer.commits == [{tp: 1}, {tp: 2}]
    assert calls == [0, 1, 1]
    assert len(payments.emitted(payments.names.payments)) == 2
    assert payments.emitted(payments.names.dead_letters) == []  # never a dead letter
    assert (payments.processor.counts.processed, payments.processor.counts.retried) == (2, 0)


async def test_a_unit_goes_to_the_broker_with_the_state_changes_of_the_unit_before_it(
    tmp_path: Path,
) -> None:
    producer = FakeProducer()
    payments = Harness("payments", tmp_path, producer)
    first, second = on_one_partition(2)
    processor, changelog = payments.processor, payments.processor.changelog or ""

    unit = asyncio.create_task(processor.advance(payments.keyed(payments.names.orders, first)))
    await until(lambda: producer.to(payments.names.payments))
    producer.acknowledge()
    await unit
    assert producer.to(changelog) == []  # it waits for the next request
    assert processor.lookup("payments", first.correlation_id, Payment) is None

    unit = asyncio.create_task(processor.advance(payments.keyed(payments.names.orders, second)))
    await until(lambda: producer.to(changelog))
    # One request: the second unit's event and the first unit's state, not yet acknowledged.
    assert len(producer.to(payments.names.payments)) == 2
    assert not any(sent.ack.done() for sent in producer.sent[1:])
    assert processor.lookup("payments", first.correlation_id, Payment) is None
    assert payments.consumer.commits == []
    producer.acknowledge()
    await unit
    await processor.flush_commits()
    assert processor.lookup("payments", first.correlation_id, Payment) is not None
    assert processor.lookup("payments", second.correlation_id, Payment) is None
    [tp] = payments.keyed(payments.names.orders, first)
    assert payments.consumer.commits == [{tp: 1}]  # the first unit's offset only

    settled = asyncio.create_task(processor.settle())
    await until(lambda: len(producer.to(changelog)) == 2)
    assert processor.lookup("payments", second.correlation_id, Payment) is None
    producer.acknowledge()
    await settled
    await processor.flush_commits()
    assert processor.lookup("payments", second.correlation_id, Payment) is not None
    assert payments.consumer.commits == [{tp: 1}, {tp: 2}]


async def test_a_unit_decided_on_the_state_of_a_unit_not_stored_yet_sees_that_state(
    tmp_path: Path,
) -> None:
    inventory = Harness("stock", tmp_path)
    restock = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=3))
    again = encode(AddStock(command_id=uuid4(), sku="PEN", quantity=4))

    await inventory.processor.advance(
        inventory.batch(inventory.names.stock_commands, "PEN", restock)
    )
    assert inventory.processor.lookup("stock", "PEN", StockLevel) is None  # not stored yet
    await inventory.processor.advance(inventory.batch(inventory.names.stock_commands, "PEN", again))
    await inventory.processor.settle()

    assert inventory.processor.lookup("stock", "PEN", StockLevel) == StockLevel(available=7)


async def test_a_refused_request_drops_both_units_it_carried_and_reads_both_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor_module, "RETRY_SECONDS", 0)
    producer = FakeProducer(auto=True)
    payments = Harness("payments", tmp_path, producer)
    changelog = payments.processor.changelog or ""
    refused: list[Any] = []
    resolve = producer.resolve

    def refusing_the_first_state(sent: Any) -> None:
        if sent.topic == changelog and not refused:
            refused.append(sent)
            sent.ack.set_exception(ConnectionError("broker gone"))
        else:
            resolve(sent)

    producer.resolve = refusing_the_first_state  # type: ignore[method-assign]
    first, second = on_one_partition(2)
    one = payments.keyed(payments.names.orders, first)
    [tp] = one
    record_0, record_1 = (
        one[tp][0],
        record(tp.topic, tp.partition, 1, second.correlation_id, encode(second)),
    )
    # The first unit's state goes with the second unit's event, and is refused: both units are
    # read again, from before the first.
    payments.consumer.batches = [{tp: [record_0]}, {tp: [record_1]}, {tp: [record_0, record_1]}]
    payments.consumer.when_empty = lambda: setattr(payments.processor, "stopping", True)

    await payments.processor.run()
    await payments.processor.flush_commits()

    assert len(refused) == 1
    assert dict(payments.consumer.seeks)[tp] == 0
    assert payments.consumer.commits == [{tp: 2}]  # nothing before both were stored
    for placed in (first, second):
        assert payments.processor.lookup("payments", placed.correlation_id, Payment) is not None
    sent = [decode_event(v) for v in payments.emitted(payments.names.payments)]
    assert len(sent) == 4 and len({event.event_id for event in sent}) == 2  # the same again
