"""On the real broker: an event that no service declares is found and named, live and from the log.

The shipping handler is made to stray (EVENTCOLLAB_STRAY_CUSTOMERS, see agents/stray.py): for the
orders of one customer it also publishes a ShipmentCancelled caused by the order's StockReserved,
which shipping declares only in answer to OrderCancelling. Both the live map and `eventcollab
flow` must show that edge as unexpected, with those workflows, and only them, as samples.
"""

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, eventually, outcome, place_order

UNDECLARED = "inventory/StockReserved -> shipping/ShipmentCancelled"


async def live_map(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(f"{url}/flow") as response:
        return await response.json() if response.status == 200 else None


async def test_an_undeclared_event_shows_as_an_unexpected_edge_with_its_workflows(
    deployment: Deployment, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    deployment.settings["EVENTCOLLAB_STRAY_CUSTOMERS"] = "stray-"
    started(deployment, "all")
    pen = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, "5")

    def body(customer: str) -> dict[str, Any]:
        return {"customer_id": customer, "items": [{"sku": pen, "quantity": 1, "unit_price": "2"}]}

    customers = ["ann", "stray-bob", "cy", "stray-dee", "eve"]
    placed = [await place_order(http, deployment.orders_url, body(c)) for c in customers]
    for correlation_id in placed:
        assert (await outcome(http, deployment.tracker_url, correlation_id))[
            "status"
        ] == "completed"
    strayed = sorted(cid for cid, c in zip(placed, customers, strict=True) if c.startswith("stray"))

    async def with_strays() -> Any:
        found = await live_map(http, deployment.tracker_url)
        edge = found["edges"].get(UNDECLARED) if found else None
        return found if edge and edge["events"] == len(strayed) else None

    live = await eventually(with_strays, timeout=30)
    report_path = tmp_path / "map.json"
    printed = deployment.run_command("flow", "--json", str(report_path))
    offline = json.loads(report_path.read_text())

    for report in (live, offline):
        assert report["edges"][UNDECLARED]["mark"] == "unexpected"
        assert report["edges"][UNDECLARED]["events"] == len(strayed)
        unexpected = report["deviations"]["unexpected edge"]
        assert (unexpected["workflows"], unexpected["samples"]) == (len(strayed), strayed)
        others = {
            e["mark"] for edge, e in report["edges"].items() if edge != UNDECLARED and e["events"]
        }
        assert others == {"expected"}
        assert report["nodes"]["shipping/ShipmentCancelled"]["events"] == len(strayed)
    assert "unexpected" in printed and UNDECLARED in printed
