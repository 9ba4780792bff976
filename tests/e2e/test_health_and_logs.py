"""Probes and logs of real workers on the real broker: JSON log lines that name the failing
order's workflow, and /readyz answering 503 while a worker restores a large changelog."""

import asyncio
import json
import shutil
import time
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer

from eventcollab.runtime.store import changelog_key
from tests.e2e.conftest import started
from tests.e2e.harness import BOOTSTRAP, Deployment, events_on, eventually, place_order

# Records of a table the tracker never reads, written to its changelog before a restart: the
# restore reads them all, which holds it for seconds (about 2 s on the development machine).
BALLAST = 300_000
PARTITIONS = 8


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def test_json_log_lines_of_a_failing_handler_name_its_service_and_the_orders_ids(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings |= {
        "EVENTCOLLAB_LOG_FORMAT": "json",
        "EVENTCOLLAB_FAIL_ON": "payments:OrderPlaced:doomed-",
    }
    [worker] = started(deployment, "all").workers  # its READY line is a JSON line too
    body = {"customer_id": f"doomed-{uuid4()}", "items": [{"sku": "PEN", "quantity": 1}]}
    body["items"][0]["unit_price"] = "1.00"
    cid = await place_order(http, deployment.orders_url, body)
    [placed] = await events_on(deployment.topic("orders"), cid)

    async def dead_lettered() -> dict[str, Any] | None:
        lines = json_lines(worker.since_start())
        errors = (line for line in lines if line["logger"] == "eventcollab.runtime.failures")
        return next((line for line in errors if line["level"] == "ERROR"), None)

    error = await eventually(dead_lettered, timeout=30)
    lines = json_lines(worker.since_start())
    failing = [line for line in lines if line["correlation_id"] == cid]

    expected = {
        "service": "payments",
        "correlation_id": cid,
        "event_id": str(placed.event_id),
        "worker": f"{deployment.run_id}-worker-all",
    }
    assert {k: error[k] for k in expected} == expected
    assert "dead-lettered after 3 attempt(s): InjectedFailure" in error["message"]
    assert error["logger"] == "eventcollab.runtime.failures"
    assert error["record"].startswith(f"{deployment.topic('orders')}[")
    # The first attempt's line, with the handler's exception as a field of the same line.
    [first] = [line for line in failing if line["level"] == "WARNING"]
    assert {k: first[k] for k in expected} == expected
    assert "InjectedFailure" in first["exception"]
    assert [line["level"] for line in failing] == ["WARNING", "ERROR"]
    # Lines outside a handler name no record.
    [ready] = [line for line in lines if line["message"].startswith("eventcollab ready:")]
    assert (ready["service"], ready["correlation_id"], ready["level"]) == (None, None, "INFO")
    import shutil as _s

    _s.copy(worker.log, "/tmp/wH_all.log")
    # Every line is JSON but Faust's banner, which goes to stdout (the log goes to stderr).
    text = [line for line in worker.since_start().splitlines() if not line.startswith("{")]
    assert all(line[:1] in "+|" for line in text), text


async def fill_changelog(topic: str, records: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=50, acks=1)
    await producer.start()
    try:
        sent = []
        value = json.dumps({"ballast": "x" * 80}).encode()
        for n in range(records):
            key = changelog_key("ballast", f"{n:08d}")
            sent.append(await producer.send(topic, value, key=key, partition=n % PARTITIONS))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def readiness(http: aiohttp.ClientSession, url: str) -> tuple[int, Any] | None:
    try:
        async with http.get(f"{url}/readyz") as response:
            return response.status, await response.json()
    except aiohttp.ClientConnectionError:
        return None  # not listening yet


async def test_readyz_is_503_while_the_tracker_restores_and_200_once_restored(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    [worker] = started(deployment, "tracker").workers
    assert await readiness(http, worker.url) == (
        200,
        {"ready": True, "processors": {"tracker": {"ready": True, "partitions": list(range(8))}}},
    )
    worker.stop()
    await fill_changelog(deployment.topic(f"{deployment.run_id}-tracker-changelog"), BALLAST)
    shutil.rmtree(deployment.datadir("tracker"))  # everything is restored from the changelog

    worker.start()
    answers: list[tuple[float, int, Any]] = []
    began = time.monotonic()
    while True:
        answer = await readiness(http, worker.url)
        if answer is not None:
            answers.append((time.monotonic() - began, *answer))
            if answer[0] == 200:
                break
        assert worker.running, worker.tail()
        assert time.monotonic() - began < 120, answers[-3:]
        await asyncio.sleep(0.05)

    restoring = [body for _, status, body in answers if status == 503]
    reasons = {body["processors"]["tracker"].get("reason") for body in restoring}
    assert "restoring partitions 0, 1, 2, 3, 4, 5, 6, 7" in reasons, (answers[:3], worker.tail())
    assert all(body["ready"] is False for body in restoring)
    # 200 only once every record is back in the store.
    restored = [
        int(line.split("restored ")[1].split(" ")[0])
        for line in worker.since_start().splitlines()
        if "processor tracker: restored" in line
    ]
    assert sum(restored) >= BALLAST
    took = answers[-1][0] - next(t for t, status, _ in answers if status == 503)
    print(f"readyz 503 for {took:.1f} s of restore ({len(restoring)} answers), then 200")
    assert answers[-1][2] == {
        "ready": True,
        "processors": {"tracker": {"ready": True, "partitions": list(range(8))}},
    }
    async with http.get(f"{worker.url}/healthz") as response:
        assert response.status == 200
    worker.stop()  # the web server, started before the processors, stops after them
    assert [(e.how, e.clean) for e in worker.exits] == [("stop", True), ("stop", True)]
