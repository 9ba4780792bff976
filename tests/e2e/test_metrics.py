"""GET /metrics of every worker of a deployment with one worker per service, scraped during and
after a run of a few orders: every metric is there, with the values of the run."""

from collections import Counter
from uuid import uuid4

import aiohttp

from eventcollab import topics
from eventcollab.app import PROCESSORS
from eventcollab.settings import SERVICES, Settings
from tests.e2e.harness import Deployment, Worker, eventually, outcome, place_order, read_topic
from tests.e2e.test_flow_map import one_line
from tests.integration.test_metrics import samples

COMPLETED, REJECTED, CANCELLED = 3, 2, 1
Labels = tuple[tuple[str, str], ...]
Samples = dict[tuple[str, Labels], float]  # as tests.integration.test_metrics.samples gives


async def scrape(http: aiohttp.ClientSession, worker: Worker) -> Samples:
    async with http.get(f"{worker.url}/metrics") as response:
        assert response.status == 200, await response.text()
        return samples(await response.text())


def of(found: Samples, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def series(found: Samples, name: str) -> dict[Labels, float]:
    return {labels: value for (n, labels), value in found.items() if n == name}


async def test_every_worker_s_metrics_match_a_run_of_a_few_orders(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    workers = {service: deployment.worker(service).start() for service in SERVICES}
    for worker in workers.values():
        worker.wait_ready()
    settings = Settings(app_id=deployment.run_id, topic_prefix=f"{deployment.run_id}-")
    names = topics.declare(settings)
    specs = {service: PROCESSORS[service](settings, names) for service in SERVICES}
    pen, gone = f"PEN-{uuid4().hex[:8]}", f"GONE-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, str(COMPLETED))
    plan = (
        [one_line(pen, "1.50")] * COMPLETED
        + [one_line(pen, "6000.00")] * REJECTED
        + [one_line(gone, "2.00")] * CANCELLED
    )
    placed = [await place_order(http, deployment.orders_url, body) for body in plan]

    # During the run: every worker answers with its own processors, recovered.
    during: dict[str, Samples] = {}
    for service, worker in workers.items():
        during[service] = await scrape(http, worker)
        for spec in specs[service]:
            assert of(during[service], "eventcollab_recovering", processor=spec.name) == 0
        assert len(series(during[service], "eventcollab_recovering")) == len(specs[service])

    outcomes = Counter(
        [(await outcome(http, deployment.tracker_url, cid))["status"] for cid in placed]
    )
    assert outcomes == {"completed": COMPLETED, "rejected": REJECTED, "cancelled": CANCELLED}

    # What each processor's inputs hold, end offsets per partition: all of this run's.
    records = {name: await read_topic(name) for name in names.all()}
    ends: dict[tuple[str, str], int] = {}  # the offset after the last record of each partition
    for r in (r for rs in records.values() for r in rs):
        at = (r.topic, str(r.partition))
        ends[at] = max(ends.get(at, 0), r.offset + 1)
    consumed = {
        spec.name: sum(len(records[t]) for t in spec.inputs)
        for service in SERVICES
        for spec in specs[service]
    }

    async def settled(worker: Worker, service: str) -> Samples | None:
        found = await scrape(http, worker)
        for spec in specs[service]:
            if (
                of(found, "eventcollab_records_consumed_total", processor=spec.name)
                != consumed[spec.name]
            ):
                return None
        committed = series(found, "eventcollab_committed_offset")
        if len(committed) < sum(
            1 for s in specs[service] for (t, _) in ends if t in s.inputs
        ):  # offsets are committed in the background, after the unit is stored
            return None
        return found

    after = {s: await eventually(lambda s=s, w=w: settled(w, s)) for s, w in workers.items()}

    produced = 0
    for service, found in after.items():
        for spec in specs[service]:
            p = {"processor": spec.name}
            assert of(found, "eventcollab_records_processed_total", **p) == consumed[spec.name]
            assert of(found, "eventcollab_records_dead_lettered_total", **p) == 0
            assert of(found, "eventcollab_retries_total", **p) == 0
            units = of(found, "eventcollab_units_stored_total", **p)
            assert units >= of(found, "eventcollab_unit_seconds_count", **p) > 0
            assert of(found, "eventcollab_unit_seconds_bucket", le="+Inf", **p) == of(
                found, "eventcollab_unit_seconds_count", **p
            )
            assert of(found, "eventcollab_recovering", **p) == 0
            assert of(found, "eventcollab_partitions_owned", **p) == settings.partitions
            produced += int(of(found, "eventcollab_records_produced_total", **p))
            for counter in ("eventcollab_records_consumed_total", "eventcollab_units_stored_total"):
                assert of(during[service], counter, **p) <= of(found, counter, **p)
            committed = {
                (dict(k)["topic"], dict(k)["partition"]): v
                for k, v in series(found, "eventcollab_committed_offset").items()
                if dict(k)["processor"] == spec.name
            }
            assert committed == {tp: end for tp, end in ends.items() if tp[0] in spec.inputs}
            lags = {
                k: v
                for k, v in series(found, "eventcollab_consumer_lag").items()
                if dict(k)["processor"] == spec.name
            }
            assert lags and set(lags.values()) == {0}
            keys = {
                dict(k)["partition"]: v
                for k, v in series(found, "eventcollab_table_keys").items()
                if dict(k)["processor"] == spec.name
            }
            if spec.tables:
                assert len(keys) == settings.partitions and sum(keys.values()) > 0
            else:
                assert keys == {}
    # Every record of the run was sent by a processor, but the orders placed and the restock.
    everything = sum(len(rs) for rs in records.values())
    assert produced == everything - len(placed) - 1

    tracker = after["tracker"]
    assert of(tracker, "eventcollab_workflows_started") == len(placed)
    for status, count in outcomes.items():
        assert of(tracker, "eventcollab_workflows_finished", outcome=status) == count
        assert of(tracker, "eventcollab_workflows", status=status) == count
    assert of(tracker, "eventcollab_workflows", status="in_progress") == 0
    # The tracker's share of the flow map: here it owns every partition, so the whole map.
    assert of(tracker, "eventcollab_flow_workflows") == len(placed)
    node = "eventcollab_flow_node_events_total"
    assert of(tracker, node, node="orders/OrderPlaced") == len(placed)
    assert of(tracker, node, node="orders/OrderCompleted") == COMPLETED
    assert of(tracker, node, node="orders/OrderRejected") == REJECTED
    hops = series(tracker, "eventcollab_flow_edge_hop_seconds")
    assert hops and all(v >= 0 for v in hops.values())
    assert ("eventcollab_workflows_started", ()) not in after["payments"]  # tracker workers only
