"""Deployment shapes: state rebuilt from the changelog, and each service in its own worker."""

import asyncio
import shutil
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka.admin import AIOKafkaAdminClient

from eventcollab.settings import SERVICES
from tests.e2e.conftest import started
from tests.e2e.harness import (
    BOOTSTRAP,
    Deployment,
    events_on,
    outcome,
    place_order,
    stock,
    workflow,
)


def three_outcomes(sku: str) -> list[dict[str, Any]]:
    def body(quantity: int, price: str) -> dict[str, Any]:
        return {
            "customer_id": "cy",
            "items": [{"sku": sku, "quantity": quantity, "unit_price": price}],
        }

    return [body(1, "10.00"), body(1, "6000.00"), body(50, "1.00")]


async def place_three_outcomes(
    deployment: Deployment, http: aiohttp.ClientSession
) -> list[dict[str, Any]]:
    sku = f"SKU-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "3")
    placed = [await place_order(http, deployment.orders_url, b) for b in three_outcomes(sku)]
    return list(await asyncio.gather(*(outcome(http, deployment.tracker_url, c) for c in placed)))


async def test_a_worker_whose_data_folder_is_deleted_restores_every_status_from_the_changelog(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    before = await place_three_outcomes(deployment, http)
    sku = before[0]["order"]["lines"][0]["sku"]
    assert [s["status"] for s in before] == ["completed", "rejected", "cancelled"]

    assert list(deployment.datadir().glob("*-tracker/*.db"))  # RocksDB files, about to go
    worker = deployment.workers[0]
    worker.kill()
    shutil.rmtree(deployment.datadir())
    worker.start().wait_ready()

    for state in before:
        assert await workflow(http, deployment.tracker_url, state["correlation_id"]) == state
    assert await stock(http, deployment.tracker_url, sku) == 2


async def test_each_service_in_its_own_worker_and_consumer_group(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *SERVICES)

    states = await place_three_outcomes(deployment, http)

    assert [s["status"] for s in states] == ["completed", "rejected", "cancelled"]
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        groups = {group[0] for group in await admin.list_consumer_groups()}
    finally:
        await admin.close()
    processors = ("orders", "payments", "inventory", "stock", "shipping", "tracker")
    assert {f"{deployment.run_id}-{processor}" for processor in processors} <= groups


async def test_a_worker_killed_mid_burst_resumes_without_doubling_any_effect(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    sku = f"SKU-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "1000")
    body = {"customer_id": "dee", "items": [{"sku": sku, "quantity": 1, "unit_price": "2.00"}]}
    placed = await asyncio.gather(
        *(place_order(http, deployment.orders_url, body) for _ in range(40))
    )

    worker = deployment.workers[0]
    worker.kill()  # SIGKILL while the burst is still flowing through the services
    worker.start().wait_ready()
    states = await asyncio.gather(*(outcome(http, deployment.tracker_url, c) for c in placed))

    assert {s["status"] for s in states} == {"completed"}
    assert await stock(http, deployment.tracker_url, sku) == 1000 - 40
    authorized: dict[str, set[str]] = {}
    for event in await events_on(deployment.topic("payments")):
        authorized.setdefault(event.correlation_id, set()).add(str(event.event_id))
    assert all(len(authorized[c]) == 1 for c in placed)
    for state in states:
        event_ids = [entry["event_id"] for entry in state["timeline"]]
        assert len(event_ids) == len(set(event_ids)) == 5
