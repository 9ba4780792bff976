"""The decisions alone, every processor's handler on in-memory state: workflows complete."""

import random

from eventcollab.bench.feed import orders
from eventcollab.bench.handlers import Chain, measure, profiled


def test_every_workflow_completes_through_every_handler() -> None:
    result = measure(40)

    assert result["completed"] == result["workflows"] == 40
    # Each one: OrderPlaced, PaymentAuthorized, a ReserveStock a line, StockReserved,
    # ShipmentScheduled and OrderCompleted at least.
    assert result["records"] >= 6 * 40
    assert result["cpu_us_per_workflow"] > 0


def test_a_record_seen_again_decides_nothing_new() -> None:
    chain = Chain()
    chain.restock()
    placed = orders(5, random.Random(3))
    chain.place(placed)
    records = chain.records

    chain.place(placed)  # the same OrderPlaced again: every service has it already

    assert chain.completed == 5
    assert chain.records - records == 5  # only the five copies themselves


def test_the_profile_names_the_handlers() -> None:
    assert "record_step" in profiled(10)
