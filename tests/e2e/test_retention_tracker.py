"""The state retention of the tracker on the real broker, one worker running every service:
finished workflows leave the table, do not come back when the worker restores its table from the
changelog with its data folder deleted, and their events published again change nothing."""

import shutil
import time
from collections.abc import Iterable
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer, ConsumerRecord

from eventcollab import topics
from eventcollab.app import PROCESSORS
from eventcollab.settings import Settings
from eventcollab.topics import WORKFLOW_TOPICS
from eventcollab.workflow import TERMINAL
from tests.e2e.harness import BOOTSTRAP, Deployment, eventually, outcome, place_order, read_topic
from tests.e2e.test_metrics import Samples, of, scrape, series

ORDERS = 6
# Deadlines of 2 s allow a retention of 18 s (more than twice the deadlines together); an order
# the busy machine makes late is cancelled, and leaves like any other finished one.
SETTINGS = {
    "EVENTCOLLAB_STATE_RETENTION_HOURS": "0.005",
    "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS": "1",
    "EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS": "2",
    "EVENTCOLLAB_DEADLINE_RESERVE_SECONDS": "2",
    "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": "2",
    "EVENTCOLLAB_PARTITIONS": "2",  # a few workflows on each partition
}
T = {"processor": "tracker"}


def tracker_keys(found: Samples) -> float:
    return sum(
        v
        for labels, v in series(found, "eventcollab_table_keys").items()
        if ("processor", "tracker") in labels
    )


async def status_of(http: aiohttp.ClientSession, url: str, cid: str) -> int:
    async with http.get(f"{url}/workflows/{cid}") as response:
        return response.status


async def republish(records: Iterable[ConsumerRecord[bytes, bytes]]) -> int:
    """The records again, byte for byte, each onto its own topic under its own key."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    sent = 0
    try:
        for record in records:
            headers = list(record.headers) or None
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=headers
            )
            sent += 1
    finally:
        await producer.stop()
    return sent


async def test_finished_workflows_leave_stay_gone_after_a_restore_and_old_events_change_nothing(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings.update(SETTINGS)
    worker = deployment.worker("all").start()
    worker.wait_ready()
    url = deployment.tracker_url
    settings = Settings(
        app_id=deployment.run_id, topic_prefix=f"{deployment.run_id}-", partitions=2
    )
    names = topics.declare(settings)
    sku = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, str(ORDERS))
    body = {"customer_id": "keeper", "items": [{"sku": sku, "quantity": 1, "unit_price": "3"}]}
    placed = [await place_order(http, deployment.orders_url, body) for _ in range(ORDERS)]
    for cid in placed:
        assert (await outcome(http, url, cid))["status"] in TERMINAL
    finished_at = time.monotonic()
    full = await scrape(http, worker)
    assert sum(of(full, "eventcollab_workflows", status=s) for s in TERMINAL) == ORDERS

    # Given a retention of 18 s, checked every second: every workflow leaves the table.
    async def all_gone() -> Samples | None:
        statuses = [await status_of(http, url, cid) for cid in placed]
        return await scrape(http, worker) if set(statuses) == {404} else None

    gone = await eventually(all_gone, timeout=60)
    left_after = time.monotonic() - finished_at
    assert of(gone, "eventcollab_table_entries_removed_total", **T) == ORDERS
    assert sum(of(gone, "eventcollab_workflows", status=s) for s in TERMINAL) == 0
    assert sum(of(gone, "eventcollab_workflows_retired", outcome=s) for s in TERMINAL) == ORDERS
    assert of(gone, "eventcollab_workflows_started") == ORDERS  # started counts them still
    assert tracker_keys(gone) < tracker_keys(full)
    listed = await (await http.get(f"{url}/workflows?limit=100")).json()
    assert listed["workflows"] == []

    # When the worker restarts with its data folder deleted, it restores its table from the
    # changelog: the tombstones keep them gone.
    worker.stop()
    shutil.rmtree(deployment.datadir("all"))
    worker.start()
    worker.wait_ready()
    ready_after = time.monotonic() - worker.started_at
    for cid in placed:
        assert await status_of(http, url, cid) == 404
    restored = await scrape(http, worker)
    assert sum(of(restored, "eventcollab_workflows", status=s) for s in TERMINAL) == 0
    assert sum(of(restored, "eventcollab_workflows_retired", outcome=s) for s in TERMINAL) == ORDERS

    # Their records published again, byte for byte: passed over, nothing decided again.
    workflow_topics = [settings.topic_name(spec.name) for spec in WORKFLOW_TOPICS]
    before = {name: await read_topic(name) for name in workflow_topics}
    old = [r for rs in before.values() for r in rs if r.key.decode() in placed]
    sent = await republish(old)
    ends = await ends_of(workflow_topics)
    inputs = {
        spec.name: spec.inputs for specs in PROCESSORS.values() for spec in specs(settings, names)
    }

    async def settled() -> Samples | None:
        found = await scrape(http, worker)
        committed = {
            (dict(k)["processor"], dict(k)["topic"], int(dict(k)["partition"])): v
            for k, v in series(found, "eventcollab_committed_offset").items()
        }
        for processor, reads in inputs.items():
            for (topic, partition), end in ends.items():
                if topic in reads and committed.get((processor, topic, partition)) != end:
                    return None
        return found

    after = await eventually(settled, timeout=30)
    for cid in placed:
        assert await status_of(http, url, cid) == 404
    assert of(after, "eventcollab_records_passed_over_total", **T) == sent
    assert of(after, "eventcollab_table_entries_removed_total", **T) == 0  # nothing came back to go
    again = {name: await read_topic(name) for name in workflow_topics}
    assert {n: len(rs) for n, rs in again.items()} == {
        n: len(rs) + sum(1 for r in old if r.topic == n) for n, rs in before.items()
    }  # the records published again, and not one more
    print(
        f"left the table {left_after:.1f} s after the last outcome (retention 18 s); tracker "
        f"table keys {tracker_keys(full):.0f} -> {tracker_keys(gone):.0f}; restored and ready "
        f"{ready_after:.1f} s after the start; {sent} records published again, passed over"
    )


async def ends_of(names: list[str]) -> dict[tuple[str, int], int]:
    """The offset after the last record of each partition that holds any."""
    ends: dict[tuple[str, int], int] = {}
    for name in names:
        for record in await read_topic(name):
            at = (record.topic, record.partition)
            ends[at] = max(ends.get(at, 0), record.offset + 1)
    return ends
