"""`eventcollab flow` on the real broker: an event that no service declares is found and named.

A misbehaving shipping service is played by the test: for one real workflow it publishes, on
`shipments` and keyed as shipping keys, a ShipmentCancelled caused by the workflow's
StockReserved, which shipping declares only in answer to OrderCancelling. The map must show that
edge as unexpected, with that workflow, and only it, as the sample.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import aiohttp

from eventcollab.codec import encode
from eventcollab.domain import follow_up
from eventcollab.models import ShipmentCancelled, StockReserved
from tests.e2e.harness import Deployment, events_on, outcome, place_order, produce

UNDECLARED = "inventory/StockReserved -> shipping/ShipmentCancelled"


async def test_an_undeclared_event_shows_as_an_unexpected_edge_with_its_workflow(
    shared: Deployment, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    pen = f"PEN-{uuid4().hex[:8]}"
    shared.run_command("restock", pen, "3")
    body = {"customer_id": "ann", "items": [{"sku": pen, "quantity": 1, "unit_price": "2.00"}]}
    placed = [await place_order(http, shared.orders_url, body) for _ in range(3)]
    for correlation_id in placed:
        assert (await outcome(http, shared.tracker_url, correlation_id))["status"] == "completed"
    strayed = placed[1]
    [reserved] = [
        e
        for e in await events_on(shared.topic("inventory"), strayed)
        if e.event_type == "StockReserved"
    ]
    assert isinstance(reserved, StockReserved)
    stray = follow_up(
        reserved, ShipmentCancelled, "shipping", datetime.now(UTC), shipment_id=uuid4()
    )
    await produce(shared.topic("shipments"), strayed, encode(stray))
    report_path = tmp_path / "map.json"

    printed = shared.run_command("flow", "--json", str(report_path))

    report = json.loads(report_path.read_text())
    assert report["edges"][UNDECLARED]["mark"] == "unexpected"
    assert report["edges"][UNDECLARED]["events"] == 1
    unexpected = report["deviations"]["unexpected edge"]
    assert (unexpected["workflows"], unexpected["samples"]) == (1, [strayed])
    others = {
        e["mark"] for edge, e in report["edges"].items() if edge != UNDECLARED and e["events"]
    }
    assert others == {"expected"}
    assert "unexpected" in printed and UNDECLARED in printed
