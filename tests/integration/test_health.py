"""GET /healthz and /readyz over a real tracker processor (RocksDB, fake Kafka clients), taken
through its lifecycle: not started, restoring, serving, rebalancing, serving again."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from eventcollab.runtime.health import Heartbeat
from eventcollab.runtime.processor import Processor
from tests.integration.fakes import FakeProducer
from tests.integration.processors import until
from tests.integration.test_web import build_app


class HeldRestorer:
    """A changelog reader whose restore waits for its gate: a long recovery, held. The
    changelog is empty: once let through, the restore reads nothing."""

    def __init__(self, held: bool = True) -> None:
        self.gate = asyncio.Event()
        if not held:
            self.gate.set()

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        await self.gate.wait()
        return dict.fromkeys(tps, 0)

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def worker(tmp_path: Path) -> Any:
    """A tracker worker whose tracker has not started: no loop, no assignment."""
    app = build_app(tmp_path, FakeProducer(auto=True), service="tracker")
    tracker = app.runtime.processor("tracker")
    tracker.ready.clear()
    tracker.rebalancing = True
    tracker.owned = set()
    tracker.running_in = None
    tracker.restorer = HeldRestorer(held=False)  # type: ignore[assignment]
    return app


@pytest.fixture
async def client(worker: Any) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(worker.routes)) as client:
        yield client


async def probe(client: TestClient[Any, Any], path: str) -> tuple[int, Any]:
    response = await client.get(path)
    return response.status, await response.json()


def tracker_of(worker: Any) -> Processor:
    tracker: Processor = worker.runtime.processor("tracker")
    return tracker


def partitions(tracker: Processor, *numbers: int) -> list[TopicPartition]:
    return [TopicPartition(topic, n) for topic in tracker.spec.inputs for n in numbers]


async def test_ready_only_once_assigned_and_restored_and_again_after_a_rebalance(
    worker: Any, client: TestClient[Any, Any]
) -> None:
    tracker = tracker_of(worker)
    assert await probe(client, "/readyz") == (
        503,
        {"ready": False, "processors": {"tracker": {"ready": False, "reason": "not started"}}},
    )

    tracker.running_in = asyncio.get_running_loop()
    status, body = await probe(client, "/readyz")
    assert status == 503
    assert body["processors"]["tracker"]["reason"] == "waiting for its first assignment"

    held = HeldRestorer()
    tracker.restorer = held  # type: ignore[assignment]
    assigning = asyncio.create_task(tracker.assigned(partitions(tracker, 0, 1)))
    await until(lambda: tracker.restoring)
    status, body = await probe(client, "/readyz")
    assert status == 503
    assert body["processors"]["tracker"]["reason"] == "restoring partitions 0, 1"

    held.gate.set()
    await assigning
    assert await probe(client, "/readyz") == (
        200,
        {"ready": True, "processors": {"tracker": {"ready": True, "partitions": [0, 1]}}},
    )

    await tracker.revoked(partitions(tracker, 0, 1))
    status, body = await probe(client, "/readyz")
    assert status == 503
    assert body["processors"]["tracker"] == {
        "ready": False,
        "reason": "rebalancing: waiting for its partitions to be assigned again",
    }

    await tracker.assigned(partitions(tracker, 1))
    assert await probe(client, "/readyz") == (
        200,
        {"ready": True, "processors": {"tracker": {"ready": True, "partitions": [1]}}},
    )


async def test_alive_while_the_heartbeat_is_fresh_and_not_once_it_is_stale(
    worker: Any, client: TestClient[Any, Any]
) -> None:
    clock = Clock()
    worker.runtime.heartbeat = Heartbeat(30.0, clock)
    tracker = tracker_of(worker)
    tracker.running_in = asyncio.get_running_loop()
    await tracker.assigned(partitions(tracker, 0))  # the tracker serves: readiness is up to it

    clock.now += 30.0
    assert await probe(client, "/healthz") == (200, {"alive": True, "heartbeat_age_seconds": 30.0})
    assert (await probe(client, "/readyz"))[0] == 200

    clock.now += 0.5
    stale = "the worker's event loop last beat 30.5 s ago (stale after 30 s)"
    assert await probe(client, "/healthz") == (
        503,
        {"alive": False, "heartbeat_age_seconds": 30.5, "reason": stale},
    )
    status, body = await probe(client, "/readyz")
    assert status == 503
    assert body["reason"] == stale
    assert body["processors"]["tracker"]["ready"] is True  # the loop, not the tracker, is at fault

    worker.runtime.heartbeat.beat()
    assert (await probe(client, "/healthz"))[0] == 200


async def test_not_alive_once_a_processors_loop_ended_without_a_stop(
    worker: Any, client: TestClient[Any, Any]
) -> None:
    tracker = tracker_of(worker)

    async def ended() -> None:
        return None

    tracker.loop_task = asyncio.create_task(ended())
    await tracker.loop_task

    assert await probe(client, "/healthz") == (
        503,
        {
            "alive": False,
            "heartbeat_age_seconds": pytest.approx(0, abs=5),
            "reason": "processor tracker: its loop ended",
        },
    )
    tracker.stopping = True  # a worker that stops ends its loops on purpose
    assert (await probe(client, "/healthz"))[0] == 200
    status, body = await probe(client, "/readyz")
    assert (status, body["processors"]["tracker"]["reason"]) == (503, "stopping")


async def test_the_worker_loop_beats(worker: Any) -> None:
    clock = Clock()
    heartbeat = Heartbeat(30.0, clock)
    clock.now += 100.0
    assert heartbeat.stale

    beating = asyncio.create_task(heartbeat.beating())
    await until(lambda: not heartbeat.stale)
    beating.cancel()

    assert heartbeat.last == clock.now


async def test_every_worker_answers_the_probes_whatever_it_runs(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))  # every service in one worker
    async with TestClient(TestServer(app.routes)) as client:
        alive, _ = await probe(client, "/healthz")
        status, body = await probe(client, "/readyz")

    assert alive == 200
    assert status == 503
    assert set(body["processors"]) == set(app.runtime.processors)
    assert body["processors"]["tracker"]["ready"] is True  # the one build_app assigned
    assert body["processors"]["payments"] == {"ready": False, "reason": "not started"}


async def test_the_probes_need_no_token_when_reads_and_writes_need_one(tmp_path: Path) -> None:
    tokens = {"read_token": "r" * 32, "write_token": "w" * 32}
    app = build_app(tmp_path, FakeProducer(auto=True), service="tracker", **tokens)
    async with TestClient(TestServer(app.routes)) as client:
        alive, _ = await probe(client, "/healthz")
        ready, _ = await probe(client, "/readyz")
        refused = (await client.get("/workflows")).status

    assert (alive, ready, refused) == (200, 200, 401)
