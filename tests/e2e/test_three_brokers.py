"""Three brokers, one killed under load (kill -9) and started again: nothing lost, nothing
doubled, the audit clean.

A private cluster of three KRaft nodes (`scripts/broker cluster` on free ports and a temporary
home), two all-in-one workers whose topics have three copies and min.insync.replicas 2, orders
written at a steady rate. The node that leads the most of the deployment's partitions is killed.
While it is down, the orders placed in the seconds after the kill must be acknowledged and
complete: with one copy of each partition they cannot, as the partitions it led have no leader
until it returns. It is started again under the same load; at the end every order placed has
completed, the stock is exact, the audit of the whole log is clean, and the node is back in every
ISR. Run with -s for the figures.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import pytest

from eventcollab.crash.cluster import PrivateCluster, leaders, missing_from_isr, partitions
from eventcollab.crash.logs import scan_logs
from eventcollab.crash.trackers import Trackers
from tests.e2e.cluster_figures import Outage, figures, spans
from tests.e2e.harness import Deployment, Worker, eventually
from tests.e2e.steady_orders import SteadyOrders

REPLICAS = {"EVENTCOLLAB_REPLICATION_FACTOR": "3", "EVENTCOLLAB_MIN_INSYNC_REPLICAS": "2"}
RATE = 15.0  # orders per second
WARM_UP_SECONDS = 5.0
SOON_AFTER_KILL_SECONDS = 3.0  # the orders placed this soon after the kill complete meanwhile
DOWN_SECONDS = 10.0  # at least, from the kill to the start again
AFTER_RETURN_SECONDS = 4.0
WAIT_SECONDS = 60.0
STOCK = 10_000


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PrivateCluster]:
    cluster = PrivateCluster(tmp_path / "cluster")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()  # its home stays with pytest's temporary folders: the nodes' logs


@pytest.fixture
def replicated(cluster: PrivateCluster, tmp_path: Path) -> Iterator[Deployment]:
    """Stopped before the cluster is: a worker stops cleanly only while the brokers answer."""
    root = tmp_path / "workers"
    root.mkdir()
    deployment = Deployment(root, broker=cluster.url, settings=dict(REPLICAS))
    try:
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture
async def load(cluster: PrivateCluster, replicated: Deployment) -> AsyncIterator[SteadyOrders]:
    sku = f"PEN-{uuid4().hex[:8]}"
    orders = SteadyOrders(cluster.bootstrap, replicated.topic("orders"), sku, RATE)
    try:
        yield orders
    finally:
        orders.cancel()  # placements still waiting for a broker, when the test failed


@pytest.mark.timeout(480)  # about 2 minutes; up to 4 when the machine is busy
async def test_a_broker_killed_under_load_loses_nothing_and_doubles_nothing(
    cluster: PrivateCluster, replicated: Deployment, load: SteadyOrders
) -> None:
    workers = [replicated.worker("all"), replicated.worker("all", label="all-2")]
    await asyncio.gather(*(worker.start().ready() for worker in workers))
    replicated.run_command("restock", load.sku, str(STOCK))
    trackers = Trackers(lambda: [worker.url for worker in workers])
    load.start()
    await asyncio.sleep(WARM_UP_SECONDS)

    victim, led = await most_leading(cluster, replicated)
    outage = Outage(victim, led, killed_at=time.time())
    await asyncio.to_thread(cluster.kill, victim)
    await completed_while_down(load, trackers, outage, cluster, replicated.topic(""))
    await asyncio.sleep(max(0.0, outage.killed_at + DOWN_SECONDS - time.time()))
    outage.restarted_at = time.time()
    await asyncio.to_thread(cluster.start_node, victim)
    outage.ready_at = time.time()
    await eventually(lambda: in_sync(cluster, victim), WAIT_SECONDS)
    outage.in_sync_at = time.time()
    await asyncio.sleep(AFTER_RETURN_SECONDS)
    await load.stop(WAIT_SECONDS)

    placed = list(load.placed.values())
    states = await trackers.until_terminal(placed, WAIT_SECONDS)
    statuses = Counter(states.get(cid, {}).get("status", "unknown") for cid in placed)
    assert statuses == {"completed": len(placed)}, statuses
    assert STOCK - len(placed) in await stock_levels(workers, load.sku)
    audit = audited(replicated)
    assert audit["anomalies"] == [], audit["anomalies"][:5]
    assert sum(audit["summary"]["workflows"].values()) == len(placed)
    found = scan_logs(workers)
    assert found.tracebacks == [] and found.crashes == [], found.tracebacks[:1] + found.crashes[:1]
    print(figures(outage, spans(states), RATE, audit, found.retries, load.retried))


async def most_leading(cluster: PrivateCluster, deployment: Deployment) -> tuple[int, str]:
    """The node that leads the most partitions of the deployment's topics: its death moves the
    most leaders. Also `led`: how many of how many."""
    described = await eventually(lambda: partitions(cluster.bootstrap))
    mine = {p["topic"] for p in described if p["topic"].startswith(deployment.topic(""))}
    counts = leaders(described, mine)
    victim, most = counts.most_common(1)[0]
    return victim, f"{most} of {sum(counts.values())}"


async def completed_while_down(
    load: SteadyOrders, trackers: Trackers, outage: Outage, cluster: PrivateCluster, prefix: str
) -> None:
    """With one node of three down, the orders placed just after the kill are acknowledged and
    complete before it returns (two copies of every partition are left, enough for min.insync 2)."""
    moving = asyncio.create_task(leaders_moved(cluster, prefix, outage))
    try:
        await asyncio.sleep(SOON_AFTER_KILL_SECONDS)
        soon = load.since(outage.killed_at, outage.killed_at + SOON_AFTER_KILL_SECONDS)
        placed = await acknowledged(load, soon, outage.victim)
        states = await trackers.until_terminal(placed, WAIT_SECONDS)
    finally:
        moving.cancel()
    waiting = [cid for cid in placed if states.get(cid, {}).get("status") != "completed"]
    assert not waiting, f"node {outage.victim} down: {len(waiting)} of {len(placed)} not completed"
    outage.soon_completed_at = time.time()


async def acknowledged(load: SteadyOrders, numbers: list[int], victim: int) -> list[str]:
    async def all_of_them() -> list[str] | None:
        done = [load.placed[n] for n in numbers if n in load.placed]
        return done if len(done) == len(numbers) else None

    try:
        return await eventually(all_of_them, WAIT_SECONDS)
    except AssertionError:
        acked = sum(n in load.placed for n in numbers)
        raise AssertionError(
            f"node {victim} down: {acked} of the {len(numbers)} orders placed in the "
            f"{SOON_AFTER_KILL_SECONDS:g} s after the kill acknowledged within {WAIT_SECONDS:g} s"
        ) from None


async def leaders_moved(cluster: PrivateCluster, prefix: str, outage: Outage) -> None:
    """Notes when every partition of the deployment has a leader again, on another node."""
    while True:
        described = await partitions(cluster.bootstrap)
        mine = [p for p in described or () if p["topic"].startswith(prefix)]
        if mine and all(p["leader"] not in (outage.victim, -1) for p in mine):
            outage.leaders_moved_at = time.time()
            return
        await asyncio.sleep(0.2)


async def in_sync(cluster: PrivateCluster, node: int) -> bool | None:
    described = await partitions(cluster.bootstrap)
    return True if described is not None and not missing_from_isr(described, node) else None


async def stock_levels(workers: list[Worker], sku: str) -> set[int]:
    """What each worker says: the one whose partition holds the SKU answers its level."""
    levels = set()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for worker in workers:
            async with http.get(f"{worker.url}/stock/{sku}") as response:
                assert response.status == 200, await response.text()
                levels.add((await response.json())["available"])
    return levels


def audited(deployment: Deployment) -> Any:
    report = deployment.root / "audit.json"
    deployment.run_command("audit", "--grace", "0", "--json", str(report))
    return json.loads(report.read_text())
