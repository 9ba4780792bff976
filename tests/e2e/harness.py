"""A real deployment for end-to-end tests: workers as subprocesses on the real local broker."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from eventcollab.codec import decode_event
from eventcollab.models import Event

BROKER = os.environ.get("EVENTCOLLAB_BROKER", "kafka://127.0.0.1:9092")
BOOTSTRAP = BROKER.removeprefix("kafka://")
EVENTCOLLAB = Path(sys.executable).with_name("eventcollab")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0) -> T:
    """Poll `probe` until it returns something other than None, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"no result within {timeout} s")
        await asyncio.sleep(0.2)


READY = "[^Worker]: Ready"


@dataclass
class Worker:
    name: str
    port: int
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_offset: int = 0

    def start(self) -> "Worker":
        # The Procfile's form: the component is chosen by --service.
        args = [str(EVENTCOLLAB), "--service", self.name, "worker", "-l", "info"]
        args += ["--web-port", str(self.port)]
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_ready(self, timeout: float = 120.0) -> "Worker":
        deadline = time.monotonic() + timeout
        while READY not in self.log.read_text()[self.log_offset :]:
            assert self.process is not None and self.process.poll() is None, self.tail()
            assert time.monotonic() < deadline, f"{self.name} not ready\n{self.tail()}"
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown and no last commit, as when a machine dies."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])


@dataclass
class Deployment:
    """One isolated namespace on the shared broker: its own app id, topics and data folders."""

    root: Path
    run_id: str = field(default_factory=lambda: f"e2e-{uuid4().hex[:10]}")
    tracker_port: int = field(default_factory=free_port)
    orders_port: int = field(default_factory=free_port)
    workers: list[Worker] = field(default_factory=list)

    def topic(self, name: str) -> str:
        return f"{self.run_id}-{name}"

    def env(self, service: str) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("EVENTCOLLAB_")}
        return {
            **inherited,
            "EVENTCOLLAB_BROKER": BROKER,
            "EVENTCOLLAB_APP_ID": self.run_id,
            "EVENTCOLLAB_TOPIC_PREFIX": f"{self.run_id}-",
            "EVENTCOLLAB_DATA_DIR": str(self.datadir(service)),
            "EVENTCOLLAB_TRACKER_URL": self.tracker_url,
            "EVENTCOLLAB_ORDERS_URL": self.orders_url,
        }

    def worker(self, service: str = "all") -> Worker:
        if service == "all":
            self.orders_port = self.tracker_port  # one web server serves both
        ports = {"all": self.tracker_port, "tracker": self.tracker_port, "orders": self.orders_port}
        port = ports.get(service) or free_port()
        worker = Worker(service, port, self.root / f"{service}.log", self.env(service))
        self.workers.append(worker)
        return worker

    def datadir(self, service: str = "all") -> Path:
        return self.root / f"data-{service}"

    @property
    def tracker_url(self) -> str:
        return f"http://127.0.0.1:{self.tracker_port}"

    @property
    def orders_url(self) -> str:
        return f"http://127.0.0.1:{self.orders_port}"

    def run_command(self, *args: str) -> str:
        env = self.env("all")
        done = subprocess.run(
            [str(EVENTCOLLAB), *args], env=env, capture_output=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
        return done.stdout.decode()

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def crashes(self) -> list[str]:
        """Agent crashes in any worker's log: Faust restarts the agent but drops the event."""
        return [
            f"{worker.name}: {line}"
            for worker in self.workers
            for line in worker.log.read_text().splitlines()
            if "Crashed reason=" in line
        ]


async def place_order(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> str:
    async with http.post(f"{url}/orders", json=body) as response:
        assert response.status == 202, await response.text()
        correlation_id: str = (await response.json())["correlation_id"]
        return correlation_id


async def workflow(http: aiohttp.ClientSession, url: str, correlation_id: str) -> Any:
    async with http.get(f"{url}/workflows/{correlation_id}") as response:
        return await response.json() if response.status == 200 else None


async def outcome(
    http: aiohttp.ClientSession, url: str, correlation_id: str, timeout: float = 60.0
) -> Any:
    """The tracker's JSON for a workflow once it has reached a final status."""

    last: Any = None

    async def concluded() -> Any:
        nonlocal last
        last = await workflow(http, url, correlation_id)
        return last if last and last["status"] != "in_progress" else None

    try:
        return await eventually(concluded, timeout)
    except AssertionError as late:
        seen = [e["event_type"] for e in last["timeline"]] if last else "nothing"
        raise AssertionError(f"{correlation_id} not concluded; the tracker saw {seen}") from late


async def stock(http: aiohttp.ClientSession, url: str, sku: str) -> int:
    async with http.get(f"{url}/stock/{sku}") as response:
        assert response.status == 200, await response.text()
        available: int = (await response.json())["available"]
        return available


async def partitions_of(topic: str) -> set[int]:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        return set(await producer.partitions_for(topic))
    finally:
        await producer.stop()


async def read_topic(name: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on a topic, from the beginning to the current end of each partition."""
    partitions = [TopicPartition(name, p) for p in await partitions_of(name)]
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while any([await consumer.position(tp) < end[tp] for tp in partitions]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def events_on(topic: str, correlation_id: str | None = None) -> list[Event]:
    events = [decode_event(record.value) for record in await read_topic(topic)]
    return [e for e in events if correlation_id in (None, e.correlation_id)]


async def partition_counts(*topics: str) -> dict[str, int]:
    return {topic: len(await partitions_of(topic)) for topic in topics}


async def produce(topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()
