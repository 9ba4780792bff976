"""The three outcomes of an order, through the HTTP API and the topics of a real broker."""

from itertools import pairwise
from typing import Any
from uuid import uuid4

import aiohttp

from eventcollab.tables import TABLES
from eventcollab.topics import ALL_TOPICS
from tests.e2e.harness import Deployment, events_on, outcome, partition_counts, place_order, stock


def fresh_sku(name: str) -> str:
    return f"{name}-{uuid4().hex[:8]}"


def order(*lines: tuple[str, int, str], customer: str = "ann") -> dict[str, Any]:
    items = [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]
    return {"customer_id": customer, "items": items}


def types(state: dict[str, Any]) -> list[str]:
    return [entry["event_type"] for entry in state["timeline"]]


async def test_an_order_in_stock_completes(shared: Deployment, http: aiohttp.ClientSession) -> None:
    pen, ink = fresh_sku("PEN"), fresh_sku("INK")
    shared.run_command("restock", pen, "5")
    shared.run_command("restock", ink, "5")

    placed = await place_order(http, shared.orders_url, order((pen, 2, "1.50"), (ink, 1, "3.00")))
    state = await outcome(http, shared.tracker_url, placed)

    assert state["status"] == "completed"
    assert state["waiting_for"] is None
    assert types(state) == [
        "OrderPlaced",
        "PaymentAuthorized",
        "StockReserved",
        "ShipmentScheduled",
        "OrderCompleted",
    ]
    timeline = state["timeline"]
    assert timeline[0]["causation_id"] is None
    for cause, effect in pairwise(timeline):
        assert effect["causation_id"] == cause["event_id"]
    assert await stock(http, shared.tracker_url, pen) == 3
    assert await stock(http, shared.tracker_url, ink) == 4


async def test_an_order_over_the_payment_limit_is_rejected(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    placed = await place_order(http, shared.orders_url, order((fresh_sku("TV"), 2, "2500.01")))
    state = await outcome(http, shared.tracker_url, placed)

    assert state["status"] == "rejected"
    assert types(state) == ["OrderPlaced", "PaymentDeclined", "OrderRejected"]


async def test_out_of_stock_releases_every_line_refunds_then_cancels(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    pen, ink = fresh_sku("PEN"), fresh_sku("INK")
    shared.run_command("restock", pen, "5")
    shared.run_command("restock", ink, "1")

    placed = await place_order(http, shared.orders_url, order((pen, 2, "1.50"), (ink, 3, "3.00")))
    state = await outcome(http, shared.tracker_url, placed)

    assert state["status"] == "cancelled"
    assert types(state)[-3:] == ["StockUnavailable", "PaymentRefunded", "OrderCancelled"]
    assert "StockReleased" in types(state)
    assert await stock(http, shared.tracker_url, pen) == 5  # nothing stays reserved
    assert await stock(http, shared.tracker_url, ink) == 1
    payments = await events_on(shared.topic("payments"), placed)
    assert [e.event_type for e in payments] == ["PaymentAuthorized", "PaymentRefunded"]


async def test_every_topic_and_table_has_the_configured_partition_count(shared: Deployment) -> None:
    topics = [shared.topic(spec.name) for spec in ALL_TOPICS]
    owners = {owner for owner, _, _ in TABLES.values()}  # a changelog per processor with tables
    changelogs = [shared.topic(f"{shared.run_id}-{owner}-changelog") for owner in owners]

    counts = await partition_counts(*topics, *changelogs)

    assert counts == {name: 8 for name in topics + changelogs}


async def test_status_command_prints_the_timeline(
    shared: Deployment, http: aiohttp.ClientSession
) -> None:
    placed = await place_order(http, shared.orders_url, order((fresh_sku("TV"), 1, "9999.00")))
    await outcome(http, shared.tracker_url, placed)

    printed = shared.run_command("status", placed)

    assert "rejected" in printed
    assert "PaymentDeclined" in printed
    assert placed in printed


def test_demo_command_places_one_order_per_outcome(shared: Deployment) -> None:
    printed = shared.run_command("demo", "--wait", "60")

    assert printed.count(f"{shared.tracker_url}/workflows/") == 3
    results = [line.split() for line in printed.splitlines() if "(expected:" in line]
    statuses = [(words[1], words[words.index("(expected:") + 1]) for words in results]
    assert statuses == [
        ("completed", "completed)"),
        ("rejected", "rejected:"),
        ("cancelled", "cancelled:"),
    ]
