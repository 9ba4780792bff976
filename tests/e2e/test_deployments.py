"""Deployment shapes: state rebuilt from the changelog, and each service in its own worker."""

import asyncio
import shutil
from collections.abc import Iterable
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment as Assignment

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

# Which processors each service's worker runs (inventory keeps the stock as its own processor).
SERVICE_PROCESSORS = {
    "orders": ("orders",),
    "payments": ("payments",),
    "inventory": ("inventory", "stock"),
    "shipping": ("shipping",),
    "tracker": ("tracker",),
}


async def group_members(run_id: str, processors: Iterable[str]) -> dict[str, list[str]]:
    """The client id of every member of each processor's consumer group."""
    return {
        group["group"]: sorted(member["client_id"] for member in group["members"])
        for group in await describe_groups(run_id, processors)
    }


async def assignments(run_id: str, processor: str) -> list[dict[str, set[int]]]:
    """Each member's partitions of each topic, as the group leader assigned them."""
    [group] = await describe_groups(run_id, [processor])
    return [
        {
            topic: set(numbers)
            for topic, numbers in Assignment.decode(m["member_assignment"]).assignment
        }
        for m in group["members"]
    ]


async def describe_groups(run_id: str, processors: Iterable[str]) -> list[dict[str, Any]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        # One group per call: aiokafka fails to decode an answer about several groups.
        groups = [f"{run_id}-{processor}" for processor in processors]
        described = [
            response.to_object()
            for group in groups
            for response in await admin.describe_consumer_groups([group])
        ]
    finally:
        await admin.close()
    return [group for response in described for group in response["groups"]]


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


async def test_each_service_worker_runs_only_its_own_processors_each_in_its_own_group(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *SERVICES)

    states = await place_three_outcomes(deployment, http)

    assert [s["status"] for s in states] == ["completed", "rejected", "cancelled"]
    run = deployment.run_id
    members = await group_members(run, [p for ps in SERVICE_PROCESSORS.values() for p in ps])
    assert members == {
        f"{run}-{processor}": [f"{run}-worker-{service}/{processor}"]
        for service, processors in SERVICE_PROCESSORS.items()
        for processor in processors
    }


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


async def test_two_payments_workers_share_the_partitions_and_one_takes_over_from_a_killed_one(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings["EVENTCOLLAB_SESSION_TIMEOUT"] = "6"  # a dead member leaves after 6 s
    started(deployment, "orders", "inventory", "shipping", "tracker")
    first = deployment.worker("payments").start()
    second = deployment.worker("payments", label="payments-2").start()
    first.wait_ready()
    second.wait_ready()

    shares = await assignments(deployment.run_id, "payments")
    assert len(shares) == 2
    for share in shares:  # each member reads the same partition numbers of both input topics
        assert share[deployment.topic("orders")] == share[deployment.topic("inventory")]
    halves = [share[deployment.topic("orders")] for share in shares]
    assert halves[0] | halves[1] == set(range(8)) and not halves[0] & halves[1]
    before = await place_three_outcomes(deployment, http)

    first.kill()
    after = await place_three_outcomes(deployment, http)  # only the second worker is left

    statuses = [s["status"] for s in before + after]
    assert statuses == ["completed", "rejected", "cancelled"] * 2
    decisions: dict[str, set[str]] = {}
    for event in await events_on(deployment.topic("payments")):
        if event.event_type != "PaymentRefunded":
            decisions.setdefault(event.correlation_id, set()).add(str(event.event_id))
    assert {len(decisions[s["correlation_id"]]) for s in before + after} == {1}
