"""`eventcollab flow` on the real broker: the map of a mixed run, against the test's own records."""

import csv
import io
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp

from tests.e2e.harness import Deployment, outcome, place_order

COMPLETED, REJECTED, CANCELLED = 4, 2, 3


def one_line(sku: str, price: str) -> dict[str, Any]:
    return {"customer_id": "ann", "items": [{"sku": sku, "quantity": 1, "unit_price": price}]}


async def test_the_flow_map_of_a_mixed_run_counts_what_the_run_did(
    shared: Deployment, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    pen, gone = f"PEN-{uuid4().hex[:8]}", f"GONE-{uuid4().hex[:8]}"
    shared.run_command("restock", pen, str(COMPLETED))
    plan = (
        [one_line(pen, "1.50")] * COMPLETED
        + [one_line(pen, "6000.00")] * REJECTED  # over the payment limit
        + [one_line(gone, "2.00")] * CANCELLED  # never restocked: out of stock
    )
    placed = [await place_order(http, shared.orders_url, body) for body in plan]
    outcomes = {cid: (await outcome(http, shared.tracker_url, cid))["status"] for cid in placed}
    assert sorted(outcomes.values()) == sorted(
        ["completed"] * COMPLETED + ["rejected"] * REJECTED + ["cancelled"] * CANCELLED
    )
    report_path, events_path, follows_path = (
        tmp_path / n for n in ("map.json", "log.csv", "f.json")
    )

    printed = shared.run_command(
        "flow",
        "--json",
        str(report_path),
        "--csv",
        str(events_path),
        "--follows",
        str(follows_path),
    )

    report = json.loads(report_path.read_text())
    nodes = {node: n["events"] for node, n in report["nodes"].items()}
    assert report["workflows"] == len(placed)
    assert nodes["orders/OrderPlaced"] == len(placed)
    assert nodes["payments/PaymentAuthorized"] == COMPLETED + CANCELLED
    assert nodes["orders/OrderCompleted"] == COMPLETED
    assert nodes["orders/OrderRejected"] == REJECTED
    assert nodes["orders/OrderCancelled"] == CANCELLED
    edges = report["edges"]
    assert (
        edges["orders/OrderPlaced -> payments/PaymentAuthorized"]["events"]
        == len(placed) - REJECTED
    )
    assert edges["orders/OrderPlaced -> payments/PaymentDeclined"]["events"] == REJECTED
    seen = {edge: e for edge, e in edges.items() if e["events"]}
    assert {e["mark"] for e in seen.values()} == {"expected"}  # nothing undeclared happened
    assert sum(e["events"] for e in seen.values()) == sum(nodes.values()) - len(placed)
    for e in seen.values():
        assert e["hop_ms"]["p50"] is not None and e["hop_ms"]["p50"] >= 0
    assert all(found["workflows"] == 0 for found in report["deviations"].values())
    assert report["counters"] == {"skewed": 0, "orphans": 0, "duplicates": 0}
    variants = sorted(v["workflows"] for v in report["variants"])
    assert variants == sorted([COMPLETED, REJECTED, CANCELLED])  # one path per outcome here
    assert "variants" in printed and "expected" in printed

    rows = list(csv.DictReader(io.StringIO(events_path.read_text())))
    assert {row["case_id"] for row in rows} == set(placed)
    assert len(rows) == sum(nodes.values())
    follows = json.loads(follows_path.read_text())
    assert follows["OrderPlaced -> PaymentDeclined"] == REJECTED
