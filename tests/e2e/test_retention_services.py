"""The services' tables bounded on the real broker: with a retention of seconds, the payments,
shipments, outcomes and ledger entries of finished workflows leave their tables, do not come back
when the worker restores its state from the changelogs into an empty data folder, and the
workflows' records published again, byte for byte, charge, reserve, ship or answer nothing."""

import shutil
from collections import Counter
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer, ConsumerRecord

from eventcollab import topics
from eventcollab.app import PROCESSORS
from eventcollab.codec import decode_stock_command, event_type_of
from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.settings import Settings
from tests.e2e.harness import (
    BOOTSTRAP,
    Deployment,
    eventually,
    outcome,
    place_order,
    read_topic,
    stock,
)
from tests.e2e.test_dead_letters import records_on
from tests.e2e.test_metrics import Samples, scrape, series

DEADLINE_SECONDS = 2  # each step's: the retention must exceed twice their sum, 12 s
RETENTION_HOURS = 0.004  # 14.4 s
SWEPT = ("orders", "payments", "shipping", "stock")
# What each service's table is made of, read by which processor: the events it reacts to (the
# stock keeper's ledger through the commands of the chains that the inventory service starts).
MADE_OF = {
    "orders": ("orders", orders.REACTS_TO),
    "payments": ("payments", payments.REACTS_TO),
    "shipping": ("shipping", shipping.REACTS_TO),
    "stock": ("inventory", inventory.STARTS_CHAIN),
}


def order(customer: str, sku: str, price: str = "2.00") -> dict[str, Any]:
    return {"customer_id": customer, "items": [{"sku": sku, "quantity": 1, "unit_price": price}]}


def per_processor(found: Samples, name: str) -> dict[str, float]:
    """A series summed per processor (over partitions, say)."""
    sums: Counter[str] = Counter()
    for labels, value in series(found, name).items():
        sums[dict(labels)["processor"]] += value
    return dict(sums)


def table_keys(found: Samples) -> dict[str, float]:
    """The keys of the swept processors' tables, summed over their partitions."""
    keys = per_processor(found, "eventcollab_table_keys")
    return {processor: keys.get(processor, 0) for processor in SWEPT}


def command_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return str(decode_stock_command(record.value).command_id)


async def republished(records: list[ConsumerRecord[bytes, bytes]]) -> None:
    """Each record again on its topic and partition, with its key and value as they were."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        for r in records:
            await producer.send(r.topic, r.value, key=r.key, partition=r.partition)
        await producer.flush()
    finally:
        await producer.stop()


async def test_finished_workflows_leave_the_services_tables_for_good(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    doomed = f"doomed-{uuid4().hex[:6]}"  # shipping fails on its reservation: it times out
    deployment.settings.update(
        {
            "EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS": str(DEADLINE_SECONDS),
            "EVENTCOLLAB_DEADLINE_RESERVE_SECONDS": str(DEADLINE_SECONDS),
            "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": str(DEADLINE_SECONDS),
            "EVENTCOLLAB_DEADLINE_CHECK_SECONDS": "0.3",
            "EVENTCOLLAB_STATE_RETENTION_HOURS": str(RETENTION_HOURS),
            "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS": "1",
        }
    )
    worker = deployment.worker("all")
    worker.env["EVENTCOLLAB_FAIL_ON"] = f"shipping:StockReserved:{doomed}"
    worker.start().wait_ready()
    settings = Settings(app_id=deployment.run_id, topic_prefix=f"{deployment.run_id}-")
    names = topics.declare(settings)
    sku = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "5")

    plan = [order("ann", sku), order("ann", sku), order("bob", sku, "6000.00"), order(doomed, sku)]
    placed = [await place_order(http, deployment.orders_url, body) for body in plan]
    ended = [(await outcome(http, deployment.tracker_url, cid))["status"] for cid in placed]
    assert ended == ["completed", "completed", "rejected", "cancelled"]
    assert await stock(http, worker.url, sku) == 3
    # The audit reads the log and the tracker's changelog, none of the services' tables.
    assert "anomalies    0" in deployment.run_command("audit")
    # Payments and outcomes of the four orders, shipments of three (none for the rejected
    # one), the ledger's lines of three, the restock's line and the SKU's level.
    full = table_keys(await scrape(http, worker))
    assert full == {"orders": 4, "payments": 4, "shipping": 3, "stock": 5}

    # Every entry of the four workflows leaves once its newest event is past the horizon.
    expected = {"payments": 4, "orders": 4, "shipping": 3, "stock": 3}

    async def all_removed() -> Samples | None:
        found = await scrape(http, worker)
        removed = per_processor(found, "eventcollab_table_entries_removed_total")
        return found if all(removed.get(p) == n for p, n in expected.items()) else None

    swept = await eventually(all_removed, timeout=60)
    left = {"orders": 0, "payments": 0, "shipping": 0, "stock": 2}  # the restock and the level
    assert table_keys(swept) == left

    # Restored from the changelogs into an empty data folder, without the fault.
    worker.stop()
    shutil.rmtree(deployment.datadir("all"))
    del worker.env["EVENTCOLLAB_FAIL_ON"]
    worker.start().wait_ready()
    assert table_keys(await scrape(http, worker)) == left

    workflow_topics = [settings.topic_name(spec.name) for spec in topics.WORKFLOW_TOPICS]
    old = [r for name in workflow_topics for r in await read_topic(name)]
    before = await records_on([*workflow_topics, names.dead_letters])
    commands = {command_id(r) for r in await read_topic(names.stock_commands)}
    await republished(old)

    specs = [s for make in PROCESSORS.values() for s in make(settings, names)]
    inputs = {spec.name: spec.inputs for spec in specs}
    # Each copy that would change a table finds its entry gone, and is passed over.
    answers = {
        processor: sum(
            1 for r in old if r.topic in inputs[reader] and event_type_of(r.value) in kinds
        )
        for processor, (reader, kinds) in MADE_OF.items()
    }
    # Read since the restart: the copies on each processor's inputs (the stock keeper's, the
    # first commands of the chains started again).
    copies = {name: sum(1 for r in old if r.topic in topics) for name, topics in inputs.items()}
    copies["stock"] = answers["stock"]

    async def all_read() -> Samples | None:
        found = await scrape(http, worker)
        read = per_processor(found, "eventcollab_records_consumed_total")
        return found if all(read.get(p, 0) >= n for p, n in copies.items()) else None

    after = await eventually(all_read, timeout=30)
    passed = per_processor(after, "eventcollab_records_passed_over_total")
    assert {processor: passed[processor] for processor in SWEPT} == answers
    # Nothing came back to be removed again, and nothing was published but the copies.
    assert set(per_processor(after, "eventcollab_table_entries_removed_total").values()) == {0}
    again = Counter(r.topic for r in old)
    assert await records_on([*workflow_topics, names.dead_letters]) == {
        name: count + again[name] for name, count in before.items()
    }
    # The chains started again are copies of the first: no command is new, none reserved.
    assert {command_id(r) for r in await read_topic(names.stock_commands)} == commands
    assert await stock(http, worker.url, sku) == 3
    # The audit reads the log and the tracker's changelog, none of the services' tables.
    assert "anomalies    0" in deployment.run_command("audit")
