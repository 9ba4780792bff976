"""Demo orders, one for each outcome of the workflow, placed through the HTTP API."""

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from eventcollab import auth
from eventcollab.presentation import WorkflowView
from eventcollab.settings import Settings
from eventcollab.web.status import MAX_WAIT_SECONDS
from eventcollab.workflow import TERMINAL

RESTOCK = (("KEYBOARD", 25), ("MOUSE", 25), ("USB-CABLE", 10))
ORDERS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "completed",
        {
            "customer_id": "alice",
            "items": [
                {"sku": "KEYBOARD", "quantity": 1, "unit_price": "49.90"},
                {"sku": "MOUSE", "quantity": 2, "unit_price": "19.99"},
            ],
        },
    ),
    (
        "rejected: over the payment limit",
        {
            "customer_id": "bob",
            "items": [
                {"sku": "KEYBOARD", "quantity": 200, "unit_price": "49.90"},
            ],
        },
    ),
    (
        "cancelled: out of stock, refunded",
        {
            "customer_id": "carol",
            "items": [
                {"sku": "MOUSE", "quantity": 1, "unit_price": "19.99"},
                {"sku": "USB-CABLE", "quantity": 400, "unit_price": "4.99"},
            ],
        },
    ),
)


async def place(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with http.post(f"{url}/orders", json=body) as response:
        response.raise_for_status()
        placed: dict[str, Any] = await response.json()
        return placed


async def outcome(http: aiohttp.ClientSession, status_url: str, wait: float) -> str:
    """The final status and how long the workflow took, or the status after `wait` s.

    The tracker holds the request until the workflow has ended (`wait=terminal`); it answers
    503 while its partitions are being assigned, so that is asked again.
    """
    deadline = asyncio.get_running_loop().time() + wait
    status = "unknown"
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        url = f"{status_url}?wait=terminal&timeout={min(left, MAX_WAIT_SECONDS):.1f}"
        async with http.get(url) as response:
            if response.status in (200, 202):
                view = WorkflowView.model_validate_json(await response.read())
                status = view.status
                if status in TERMINAL:
                    return f"{status:<12} in {view.duration_ms:.0f} ms"
            else:
                await asyncio.sleep(0.25)
    return status


async def run(settings: Settings, say: Callable[[str], None], wait: float) -> None:
    async with auth.client(settings, write=True) as http:
        orders_url = settings.orders_url or settings.local_url
        placed = [(label, await place(http, orders_url, body)) for label, body in ORDERS]
        for label, order in placed:
            say(f"{label:<36} {order['status_url']}")
        if wait > 0:
            for label, order in placed:
                result = await outcome(http, order["status_url"], wait)
                say(f"{order['correlation_id']}  {result:<22} (expected: {label})")
