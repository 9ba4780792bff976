"""One processor's state rebuilt from the log on the real broker, while the others keep working."""

from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer, TopicPartition

from eventcollab.codec import encode
from eventcollab.runtime.kafka import partition_for, read_from_start
from eventcollab.settings import SERVICES
from eventcollab.topics import WORKFLOW_TOPICS
from eventcollab.workflow import WorkflowState
from tests.e2e.conftest import started
from tests.e2e.harness import BOOTSTRAP, Deployment, outcome, place_order, workflow
from tests.e2e.test_dead_letters import records_on
from tests.e2e.test_failure_paths import drained, worker_of


def order(sku: str) -> dict[str, Any]:
    return {"customer_id": "flo", "items": [{"sku": sku, "quantity": 1, "unit_price": "3.00"}]}


async def stored_state(deployment: Deployment, correlation_id: str) -> WorkflowState:
    """The tracker's latest stored state of a workflow, as its changelog holds it."""
    changelog = f"{deployment.run_id}-{deployment.run_id}-tracker-changelog"
    partition = partition_for(correlation_id, 8)
    records = await read_from_start(BOOTSTRAP, [TopicPartition(changelog, partition)])
    key = f"workflows/{correlation_id}".encode()
    [*_, latest] = [r for r in records if r.key == key]
    assert latest.value is not None
    return WorkflowState.model_validate_json(latest.value)


async def test_the_tracker_rebuilt_from_the_log_replaces_a_wrong_state_once_caught_up(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *SERVICES)  # the fixture stops every worker, whatever happens
    sku = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "10")
    done = [await place_order(http, deployment.orders_url, order(sku)) for _ in range(3)]
    for cid in done:
        await outcome(http, deployment.tracker_url, cid)
    # A bug wrote a wrong status: what a rebuild is for.
    wrong = (await stored_state(deployment, done[0])).model_copy(update={"status": "rejected"})
    changelog = f"{deployment.run_id}-{deployment.run_id}-tracker-changelog"
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:  # on the state's own partition, as the tracker writes it
        key, partition = f"workflows/{done[0]}".encode(), partition_for(done[0], 8)
        await producer.send_and_wait(changelog, encode(wrong), key=key, partition=partition)
    finally:
        await producer.stop()
    tracker = worker_of(deployment, "tracker")
    tracker.stop()
    tracker.start().wait_ready()  # restores the wrong state from its changelog
    assert (await workflow(http, deployment.tracker_url, done[0]))["status"] == "rejected"

    first = deployment.run_command("rebuild", "tracker")  # while everything runs
    during = [await place_order(http, deployment.orders_url, order(sku)) for _ in range(2)]
    for cid in during:
        assert (await outcome(http, deployment.tracker_url, cid))["status"] == "completed"
    await drained(deployment)
    workflow_topics = [deployment.topic(spec.name) for spec in WORKFLOW_TOPICS]
    records_before = await records_on(workflow_topics)
    tracker.stop()
    second = deployment.run_command("rebuild", "tracker")
    records_after = await records_on(workflow_topics)
    tracker.start().wait_ready()

    assert "stop them and run this again" in first and "switched" not in first
    assert "switched" in second and "state records rewritten" in second
    assert records_after == records_before  # the rebuild triggered nobody
    for cid in [*done, *during]:  # the wrong status is right again, and nothing was lost
        assert (await workflow(http, deployment.tracker_url, cid))["status"] == "completed"
    assert "anomalies    0" in deployment.run_command("audit", "--grace", "0")
    assert not (deployment.datadir("all") / "replay").exists() or not any(
        (deployment.datadir("all") / "replay").iterdir()
    )
