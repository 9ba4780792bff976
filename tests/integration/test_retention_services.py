"""The services' tables bounded, through the real processors on RocksDB with faked Kafka clients:
an entry past the retention horizon leaves with a changelog tombstone, and the event that made
it, delivered again, does nothing. The clock is moved on by replacing the processor's."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from eventcollab.app import PROCESSORS
from eventcollab.codec import decode_event, encode
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.domain.payments import Payment
from eventcollab.models import AddStock, Order, OrderLine, OrderPlaced
from eventcollab.replay import shadow
from eventcollab.replay.progress import Tally
from eventcollab.replay.rebuild import folded
from eventcollab.replay.shadow_fold import ShadowFold
from eventcollab.runtime import processor as processor_module
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.metrics import snapshot
from eventcollab.runtime.store import OWN, PartitionStore, Store, changelog_key
from eventcollab.sweep import Sweep
from eventcollab.web.metrics import Families, processor_families
from tests.integration.processors import PARTITIONS, Harness
from tests.integration.test_metrics import Samples, samples, value

HOURS = 168  # the retention each harness here is given
RETENTION = timedelta(hours=HOURS)


class Clock:
    """The processor's clock, moved on by the test."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    moved = Clock()
    monkeypatch.setattr(processor_module, "now", moved)
    yield moved


def placed_at(when: datetime) -> OrderPlaced:
    line = OrderLine(sku="PEN", quantity=2, unit_price=Decimal("3.00"))
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=str(uuid4()),
        causation_id=None,
        occurred_at=when,
        producer="orders",
        order=Order.of("ann", (line,)),
    )


async def swept(harness: Harness) -> None:
    """One check on every partition, stored."""
    tick = harness.processor.spec.tick
    assert tick is not None
    await harness.processor.ticked(tick)
    await harness.processor.settle()


async def served(harness: Harness) -> Samples:
    """The processor's series as /metrics serves them."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Families(list(processor_families([await snapshot(harness.processor)]))))
    return samples(generate_latest(registry).decode())


def table_keys(found: Samples) -> float:
    return sum(v for (name, _), v in found.items() if name == "eventcollab_table_keys")


def counted(harness: Harness) -> int:
    """The table keys in the processor's RocksDB, counted one by one."""
    store = harness.processor.store
    assert store is not None
    return sum(
        1
        for number in range(PARTITIONS)
        for key, _ in store.partition(number).scan(b"")
        if not key.startswith(OWN)
    )


def tombstones(harness: Harness) -> list[bytes | None]:
    changelog = harness.processor.changelog
    assert changelog is not None
    return [s.key for s in harness.producer.published(changelog) if s.value is None]


async def test_a_payment_past_the_horizon_leaves_and_its_order_delivered_again_charges_nothing(
    tmp_path: Path, clock: Clock
) -> None:
    payments = Harness("payments", tmp_path, state_retention_hours=HOURS)
    placed = placed_at(clock.at)
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    clock.at += RETENTION / 2
    kept = placed_at(clock.at)
    await payments.feed(payments.names.orders, kept.correlation_id, encode(kept))

    clock.at = placed.occurred_at + RETENTION + timedelta(seconds=1)
    await swept(payments)

    key = changelog_key("payments", placed.correlation_id)
    assert tombstones(payments) == [key]
    assert payments.processor.lookup("payments", placed.correlation_id, Payment) is None
    assert payments.processor.lookup("payments", kept.correlation_id, Payment) is not None
    assert payments.processor.counts.removed == 1

    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))

    assert len(payments.emitted(payments.names.payments)) == 2  # one for each order, once
    assert payments.processor.lookup("payments", placed.correlation_id, Payment) is None
    assert payments.processor.counts.passed_over == 1
    found = await served(payments)
    assert value(found, "eventcollab_table_entries_removed_total", processor="payments") == 1
    assert value(found, "eventcollab_records_passed_over_total", processor="payments") == 1
    assert table_keys(found) == counted(payments) == 1  # the payment within the horizon


async def test_a_store_restored_from_the_changelog_does_not_bring_a_removed_payment_back(
    tmp_path: Path, clock: Clock
) -> None:
    payments = Harness("payments", tmp_path, state_retention_hours=HOURS)
    placed = placed_at(clock.at)
    await payments.feed(payments.names.orders, placed.correlation_id, encode(placed))
    clock.at = placed.occurred_at + RETENTION + timedelta(seconds=1)
    await swept(payments)

    # What the restore writes: the changelog's records in order, a batch at a time.
    restored = PartitionStore(tmp_path / "restored.db")
    changelog = payments.processor.changelog
    assert changelog is not None
    for batch in payments.producer.to(changelog):
        restored.write(dict(getattr(batch.ack, "batch", [])), 0)

    assert restored.get(changelog_key("payments", placed.correlation_id)) is None


async def test_a_reservation_leaves_the_ledger_the_restock_and_the_level_stay(
    tmp_path: Path, clock: Clock
) -> None:
    payments, inventory = (
        Harness("payments", tmp_path, state_retention_hours=HOURS),
        Harness("inventory", tmp_path, state_retention_hours=HOURS),
    )
    stock = Harness("stock", tmp_path, state_retention_hours=HOURS)
    placed = placed_at(clock.at)
    cid = placed.correlation_id
    await payments.feed(payments.names.orders, cid, encode(placed))
    await inventory.feed(inventory.names.payments, cid, *payments.emitted(payments.names.payments))
    [reserve] = inventory.emitted(inventory.names.stock_commands)
    restock = AddStock(command_id=uuid4(), sku="PEN", quantity=5)
    await stock.feed(stock.names.stock_commands, "PEN", encode(restock), reserve)

    clock.at = placed.occurred_at + RETENTION + timedelta(seconds=1)
    await swept(stock)
    await stock.feed(stock.names.stock_commands, "PEN", reserve)  # delivered again

    assert tombstones(stock) == [changelog_key("stock_ledger", f"PEN/{cid}")]
    assert stock.processor.lookup("stock", "PEN", StockLevel) == StockLevel(available=3)
    assert stock.processor.store is not None  # the ledger lives on the SKU's partition
    on_sku = stock.processor.store.partition(partition_for("PEN", PARTITIONS))
    added = on_sku.get(changelog_key("stock_ledger", f"PEN/{restock.command_id}"))
    assert added == encode(LedgerEntry(kind="added", quantity=5))
    [reserved] = stock.emitted(stock.names.inventory)
    assert decode_event(reserved).event_type == "StockReserved"
    assert (stock.processor.counts.removed, stock.processor.counts.passed_over) == (1, 1)
    assert table_keys(await served(stock)) == counted(stock) == 2  # the level and the restock


async def test_rebuild_and_shadow_folds_of_an_old_log_agree_with_what_the_worker_stored(
    tmp_path: Path, clock: Clock
) -> None:
    # The worker decided the order two retention periods ago; the rebuild and the shadow run
    # read it now, with no horizon: nothing of the old log is passed over, and the entry is
    # dated as the worker dated it.
    clock.at -= RETENTION * 2
    payments = Harness("payments", tmp_path / "worker", state_retention_hours=HOURS)
    placed = placed_at(clock.at)
    fed = payments.batch(payments.names.orders, placed.correlation_id, encode(placed))
    await payments.processor.process(fed)
    [[record]] = fed.values()
    key = changelog_key("payments", placed.correlation_id)
    assert payments.processor.store is not None
    stored = payments.processor.store.partition(record.partition).get(key)
    assert stored is not None

    spec = payments.processor.spec
    rebuilt = Store(tmp_path / "rebuilt", "changelog")
    folded(spec, rebuilt, record, Tally())
    assert rebuilt.partition(record.partition).get(key) == stored

    now = [shadow.output_of(raw) for raw in ShadowFold(spec.handler).decide(record).outputs]
    logged = [shadow.output_of(raw) for raw in payments.emitted(payments.names.payments)]
    assert now and shadow.differences(now, logged, {o.output_id: o for o in logged}) == ()


def test_each_service_sweeps_its_own_dated_tables(tmp_path: Path) -> None:
    harness = Harness("payments", tmp_path, state_retention_hours=HOURS)
    settings, names = harness.settings, harness.names
    swept_tables = {
        spec.name: tuple(spec.tick.tables)
        for make in PROCESSORS.values()
        for spec in make(settings, names)
        if isinstance(spec.tick, Sweep)
    }
    assert swept_tables == {
        "orders": ("order_outcomes",),
        "payments": ("payments",),
        "shipping": ("shipments",),
        "stock": ("stock_ledger",),  # stock levels are never removed
    }
    checks = {
        spec.tick_seconds
        for make in PROCESSORS.values()
        for spec in make(settings, names)
        if isinstance(spec.tick, Sweep)
    }
    assert checks == {settings.state_retention_check_seconds}
