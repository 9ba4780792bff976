"""Each service's entry is dated by the newest event it was made of, in one pure function."""

from decimal import Decimal

import pytest
from builders import at, authorized, order_placed

from eventcollab.domain import dated, inventory
from eventcollab.domain.inventory import LedgerEntry
from eventcollab.domain.payments import Payment
from eventcollab.models import AddStock

PAID = Payment(payment_id=None, amount=Decimal("10.00"), status="authorized")


def test_a_new_state_is_dated_by_the_event_that_made_it() -> None:
    assert dated(None, PAID, at(5)) == PAID.model_copy(update={"last_event_at": at(5)})


def test_a_changed_state_keeps_the_newest_time_even_when_an_older_event_changed_it() -> None:
    # Topics are read side by side: an event that occurred earlier may come later.
    before = PAID.model_copy(update={"last_event_at": at(9)})
    refunded = before.model_copy(update={"status": "refunded"})
    assert dated(before, refunded, at(3)) == refunded
    assert dated(before, refunded, at(12)) == refunded.model_copy(update={"last_event_at": at(12)})


def test_a_newer_event_that_changes_nothing_moves_the_time_on() -> None:
    before = PAID.model_copy(update={"last_event_at": at(9)})
    assert dated(before, None, at(10)) == before.model_copy(update={"last_event_at": at(10)})


@pytest.mark.parametrize("seconds", [9, 4])
def test_an_event_delivered_again_writes_nothing(seconds: int) -> None:
    before = PAID.model_copy(update={"last_event_at": at(9)})
    assert dated(before, None, at(seconds)) is None


def test_an_entry_stored_before_entries_had_a_time_takes_the_first_event_s() -> None:
    assert dated(PAID, None, at(2)) == PAID.model_copy(update={"last_event_at": at(2)})


def test_nothing_decided_on_nothing_stores_nothing() -> None:
    assert dated(None, None, at(2)) is None


def test_a_ledger_entry_is_dated_by_the_event_that_started_its_chain() -> None:
    paid = authorized(order_placed(occurred_at=at(0)), at(3))
    assert inventory.occurred_at(inventory.start_reservation(paid)) == at(3)


def test_a_restock_has_no_time_and_its_entry_is_kept_for_good() -> None:
    restock = AddStock(command_id=order_placed().event_id, sku="PEN", quantity=4)
    assert inventory.occurred_at(restock) is None
    assert LedgerEntry(kind="added", quantity=4).lasting
    assert not LedgerEntry(kind="reserved", quantity=4).lasting
    assert not PAID.lasting
