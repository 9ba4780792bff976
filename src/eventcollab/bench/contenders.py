"""The contenders as subprocesses on the private broker, each round in a fresh namespace."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from eventcollab import topics
from eventcollab.bench import raw
from eventcollab.crash.processes import Deployment
from eventcollab.runtime.kafka import declare_topics
from eventcollab.settings import SERVICES, Settings

ALL_IN_ONE = "eventcollab all-in-one"
PER_SERVICE = "eventcollab per service"
RAW = "raw aiokafka"
# Scale-out: this many workers of each service (the one-worker case is PER_SERVICE).
SCALE_OUT = {f"{PER_SERVICE} x{n}": n for n in (2, 4)}
NAMES = (ALL_IN_ONE, RAW, PER_SERVICE, *SCALE_OUT)


@dataclass
class Contender:
    """One contender of one round: its own app id, topic prefix and data folders."""

    name: str
    root: Path
    broker_url: str
    run_id: str = field(default_factory=lambda: f"bench-{uuid4().hex[:8]}")
    sessions: set[int] = field(default_factory=set)  # process sessions: its CPU and memory
    status_url: str | None = None  # where GET /workflows/{id} is served (eventcollab only)
    deployment: Deployment | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def workers_per_service(self) -> int:
        return SCALE_OUT.get(self.name, 1)

    @property
    def saturation_only(self) -> bool:
        """Scale-out shapes are measured for throughput alone, to keep a run short."""
        return self.name in SCALE_OUT

    @property
    def settings(self) -> Settings:
        return Settings.model_construct(
            broker=self.broker_url, app_id=self.run_id, topic_prefix=f"{self.run_id}-"
        )

    @property
    def topics(self) -> topics.Topics:
        return topics.declare(self.settings)

    async def start(self) -> float:
        """Start and wait until ready; returns the seconds it took."""
        began = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        await (self.start_raw() if self.name == RAW else self.start_eventcollab())
        return time.monotonic() - began

    async def start_eventcollab(self) -> None:
        services = ("all",) if self.name == ALL_IN_ONE else SERVICES
        self.deployment = deployment = Deployment(self.root, self.run_id, broker=self.broker_url)
        workers = [
            deployment.worker(service, label=f"{service}-{n}" if n else "").start()
            for n in range(self.workers_per_service)
            for service in services
        ]
        await asyncio.gather(*(worker.ready() for worker in workers))
        self.sessions = {w.process.pid for w in workers if w.process is not None}
        self.status_url = self.deployment.tracker_url

    async def start_raw(self) -> None:
        settings = self.settings
        await declare_topics(settings, self.topics.all(), [])
        log = self.root / "raw.log"
        args = [sys.executable, "-m", "eventcollab.bench.raw"]
        args += [settings.broker.removeprefix("kafka://"), settings.topic_prefix]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.sessions = {self.process.pid}
        deadline = time.monotonic() + 120
        while raw.READY not in log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the raw pipeline did not start:\n{log.read_text()}")
            await asyncio.sleep(0.1)

    def alive(self) -> bool:
        """Whether every process it started still runs: a dead one completes nothing more."""
        if self.deployment is not None:
            return all(worker.running for worker in self.deployment.workers)
        return self.process is not None and self.process.poll() is None

    async def stop(self) -> list[str]:
        """Stop it; returns the failures its logs show (none expected)."""
        if self.deployment is not None:
            await asyncio.to_thread(self.deployment.stop)
            return self.deployment.crashes()
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            code = await asyncio.to_thread(self.process.wait, 30)
            if code != 0:
                return [f"raw pipeline exited with {code}"]
        return []
