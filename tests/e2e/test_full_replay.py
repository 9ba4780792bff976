"""The whole log read again by every service, on the real broker: nothing new, nothing changed."""

import subprocess
from typing import Any
from uuid import uuid4

import aiohttp

from eventcollab.crash.processes import EVENTCOLLAB
from eventcollab.replay.from_start import inputs_of
from eventcollab.settings import SERVICES, Settings
from eventcollab.topics import WORKFLOW_TOPICS
from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, outcome, place_order, produce, workflow
from tests.e2e.test_dead_letters import processing, records_on
from tests.e2e.test_failure_paths import drained, waiting_for, worker_of


def order(customer: str, *lines: tuple[str, int, str]) -> dict[str, Any]:
    items = [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]
    return {"customer_id": customer, "items": items}


def replay_refused(deployment: Deployment) -> str:
    done = subprocess.run(
        [str(EVENTCOLLAB), "replay", "--from-start"],
        env=deployment.env("all"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    return done.stdout.decode() + done.stderr.decode()


async def test_the_whole_log_replayed_through_every_service_publishes_nothing_new(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *SERVICES)  # the fixture stops every worker, whatever happens
    pen, ink = f"PEN-{uuid4().hex[:8]}", f"INK-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, "5")
    deployment.run_command("restock", ink, "1")
    bodies = [
        order("ann", (pen, 1, "2.50")),  # completed
        order("bob", (pen, 1, "6000.00")),  # rejected: over the payment limit
        order("cy", (pen, 1, "2.50"), (ink, 2, "1.00")),  # out of stock: PEN released, refunded
        order("di", (ink, 1, "1.00")),  # completed
    ]
    placed = [await place_order(http, deployment.orders_url, body) for body in bodies]
    for cid in placed:
        await outcome(http, deployment.tracker_url, cid)
    await produce(deployment.topic("orders"), "not-json", b"{truncated")  # a dead letter
    shipping = worker_of(deployment, "shipping")
    shipping.stop()
    kept = await place_order(http, deployment.orders_url, order("ed", (pen, 1, "2.50")))
    await waiting_for(http, deployment, kept, "shipping")
    async with http.post(f"{deployment.orders_url}/workflows/{kept}/cancel") as cancelled:
        assert cancelled.status == 202
    placed.append(kept)
    await outcome(http, deployment.tracker_url, kept)
    shipping.start().wait_ready()
    await drained(deployment)
    before = {cid: await workflow(http, deployment.tracker_url, cid) for cid in placed}
    assert [s["status"] for s in before.values()] == [
        "completed",
        "rejected",
        "cancelled",
        "completed",
        "cancelled",
    ]
    assert "stop these workers first" in replay_refused(deployment)  # Kafka would refuse too
    deployment.stop()
    workflow_topics = [deployment.topic(spec.name) for spec in WORKFLOW_TOPICS]
    records_before = await records_on(workflow_topics)

    said = deployment.run_command("replay", "--from-start")
    for worker in deployment.workers:
        worker.start()
    for worker in deployment.workers:
        await worker.ready()
    await drained(deployment)

    assert "tracker" in said and "records to read again" in said
    assert await records_on(workflow_topics) == records_before  # not one new record
    inputs = inputs_of(Settings(topic_prefix=f"{deployment.run_id}-"))
    on_inputs = await records_on(sorted({t for topics in inputs.values() for t in topics}))
    for worker in deployment.workers:  # each read its whole input again since it started
        for name, counts in (await processing(http, worker.url)).items():
            assert counts["consumed"] == sum(on_inputs[t] for t in inputs[name]), name
    after = {cid: await workflow(http, deployment.tracker_url, cid) for cid in placed}
    assert after == before  # every status, step and time as it was
    settings = Settings(app_id=deployment.run_id, topic_prefix=f"{deployment.run_id}-")
    assert settings.group_of("tracker") in said
    assert "anomalies    0" in deployment.run_command("audit", "--grace", "0")
