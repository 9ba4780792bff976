"""The sweep of the services' tables, without Kafka: which entries leave, which are stamped,
which stay, and how much of a table one check reads."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from builders import T0, at
from pydantic import BaseModel

from eventcollab.codec import encode
from eventcollab.domain import Dated
from eventcollab.domain.inventory import LedgerEntry
from eventcollab.domain.orders import OrderOutcome
from eventcollab.domain.payments import Payment
from eventcollab.domain.shipping import Shipment
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.store import changelog_key
from eventcollab.runtime.work import Work
from eventcollab.settings import Settings
from eventcollab.sweep import Sweep, sweeping, time_of

SETTINGS = Settings(state_retention_hours=1)
CHECK = T0 + timedelta(hours=1, seconds=10)  # the horizon: at(10)
PAID = Payment(payment_id=None, amount=Decimal("10.00"), status="authorized")


def stored(entries: dict[str, Dated], table: str = "payments") -> MemoryStore:
    store = MemoryStore()
    store.partition(0).write({changelog_key(table, k): encode(v) for k, v in entries.items()})
    return store


def checked(sweep: Sweep, store: MemoryStore, at_time: datetime = CHECK) -> Work:
    """One check of partition 0, its changes stored."""
    work = Work(store, 1_000_000)
    work.on(0)
    sweep(work, at_time)
    store.write(work.changes)
    return work


def keys(store: MemoryStore) -> list[bytes]:
    return sorted(store.partition(0).entries)


def dated_at(seconds: int) -> Payment:
    return PAID.model_copy(update={"last_event_at": at(seconds)})


@pytest.mark.parametrize(
    "entry",
    [
        PAID,
        Shipment(shipment_id=None),
        OrderOutcome(status="completed"),
        LedgerEntry(kind="reserved", quantity=2),
    ],
)
def test_every_entry_s_encoding_starts_with_its_time(entry: Dated) -> None:
    stamped = entry.model_copy(update={"last_event_at": at(7)})
    assert time_of(encode(stamped)) == at(7)
    assert time_of(encode(entry)) is None  # null: read by decoding it


def test_an_entry_written_before_entries_had_a_time_has_none() -> None:
    class OldPayment(BaseModel):  # the JSON stored before this change
        payment_id: None
        amount: Decimal
        status: str

    old = encode(OldPayment(payment_id=None, amount=Decimal("10.00"), status="authorized"))
    assert time_of(old) is None
    assert Payment.model_validate_json(old).last_event_at is None


def test_entries_whose_newest_event_is_past_the_horizon_leave_and_are_counted() -> None:
    store = stored({"old": dated_at(9), "edge": dated_at(10), "new": dated_at(11)})

    work = checked(Sweep(SETTINGS, {"payments": Payment}), store)

    assert work.removed == 1
    assert work.changes[0] == {b"payments/old": None}  # a tombstone for the changelog
    assert keys(store) == [b"payments/edge", b"payments/new"]


def test_an_entry_without_a_time_is_stamped_with_the_check_s_and_leaves_a_period_later() -> None:
    store = stored({"undated": PAID})
    sweep = Sweep(SETTINGS, {"payments": Payment})

    assert checked(sweep, store).removed == 0
    stamped = Payment.model_validate_json(store.partition(0).get(b"payments/undated") or b"")
    assert stamped == PAID.model_copy(update={"last_event_at": CHECK})

    assert checked(sweep, store, CHECK + timedelta(hours=1)).removed == 0
    assert checked(sweep, store, CHECK + timedelta(hours=1, seconds=1)).removed == 1


def test_a_restock_s_ledger_entry_stays_for_good() -> None:
    added = LedgerEntry(kind="added", quantity=5)
    reserved = LedgerEntry(kind="reserved", quantity=1, last_event_at=at(0))
    store = stored({"PEN/restock": added, "PEN/order": reserved}, "stock_ledger")

    work = checked(Sweep(SETTINGS, {"stock_ledger": LedgerEntry}), store, CHECK + timedelta(days=9))

    assert work.changes[0] == {b"stock_ledger/PEN/order": None}
    assert keys(store) == [b"stock_ledger/PEN/restock"]


def test_other_tables_are_left_alone() -> None:
    store = stored({"old": dated_at(0)}, "stock")

    assert checked(Sweep(SETTINGS, {"stock_ledger": LedgerEntry}), store).removed == 0
    assert keys(store) == [b"stock/old"]


def test_a_check_reads_a_slice_the_next_goes_on_after_it_and_the_end_wraps_around() -> None:
    store = stored({f"k{n}": dated_at(11) for n in range(5)})
    sweep = Sweep(SETTINGS, {"payments": Payment}, keys_per_check=2)
    where = (0, "payments")

    cursors = []
    for _ in range(3):  # nothing is past the horizon yet
        checked(sweep, store)
        cursors.append(sweep.cursors.get(where))
    assert cursors == ["k1", "k3", None]

    later = checked(sweep, store, CHECK + timedelta(seconds=2))  # all past it now
    assert sorted(later.changes[0]) == [b"payments/k0", b"payments/k1"]
    assert sweep.cursors[where] == "k1"


def test_a_check_stops_once_its_changes_fill_a_unit() -> None:
    store = stored({f"k{n}": dated_at(0) for n in range(5)})
    sweep = Sweep(SETTINGS, {"payments": Payment})
    work = Work(store, len(b"payments/k0") * 2)  # full after two deletes
    work.on(0)

    sweep(work, CHECK)

    assert (work.removed, sweep.cursors) == (2, {(0, "payments"): "k1"})


def test_entries_kept_for_ever_need_no_sweep() -> None:
    assert sweeping(Settings(state_retention_hours=-1), {"payments": Payment}) is None
    assert sweeping(SETTINGS, {"payments": Payment}) is not None
