"""Workers as subprocesses: start, wait until ready, kill -9, stop gracefully, read their logs."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from eventcollab.runtime.worker import READY

EVENTCOLLAB = Path(sys.executable).with_name("eventcollab")
STOP_SECONDS = 30.0


def caller_env() -> dict[str, str]:
    """The caller's environment without any EVENTCOLLAB_* setting: each run sets its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EVENTCOLLAB_")}


# Ports handed out by this process: a worker binds its port only seconds later, and meanwhile the
# kernel may offer the same free port again (two benchmark workers once got one port; one died).
handed_out: set[int] = set()


def free_port() -> int:
    """A port that is free now and was not handed out before by this process."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in handed_out:
            handed_out.add(port)
            return port


def default_broker() -> str:
    return os.environ.get("EVENTCOLLAB_BROKER", "kafka://127.0.0.1:9092")


def is_ready_line(line: str) -> bool:
    """The runtime's READY message, alone, after the log's `[time] [pid] [level] ` prefix, or
    as the message of a JSON line (EVENTCOLLAB_LOG_FORMAT=json)."""
    if line.startswith("{"):
        try:
            message = json.loads(line).get("message", "")
        except ValueError:
            return False
        return isinstance(message, str) and message.startswith(READY)
    return line.startswith(READY) or f"] {READY}" in line


@dataclass(frozen=True)
class Exit:
    """How a worker ended: `kill` is SIGKILL on purpose, `stop` a SIGTERM that should be clean."""

    how: str
    returncode: int | None
    clean: bool
    seconds: float = 0.0  # from the signal to the exit


@dataclass
class Worker:
    name: str  # the service it runs, as --service takes it
    port: int
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_offset: int = 0
    label: str = ""  # tells apart two workers of one service
    started_at: float = 0.0
    exits: list[Exit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.label = self.label or self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "Worker":
        # The Procfile's form: the component is chosen by --service.
        args = [str(EVENTCOLLAB), "--service", self.name, "worker", "-l", "info"]
        args += ["--web-port", str(self.port)]
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        self.started_at = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def is_ready(self) -> bool:
        """Whether this start logged the runtime's READY line; an earlier start's won't count."""
        return any(is_ready_line(line) for line in self.since_start().splitlines())

    def wait_ready(self, timeout: float = 120.0) -> "Worker":
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            assert self.running, self.tail()
            assert time.monotonic() < deadline, f"{self.label} not ready\n{self.tail()}"
            time.sleep(0.2)
        return self

    async def ready(self, timeout: float = 120.0) -> float:
        """Wait without blocking the event loop; returns the seconds from start to ready."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if not self.running:
                raise RuntimeError(f"{self.label} exited before ready\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} not ready after {timeout} s\n{self.tail()}")
            await asyncio.sleep(0.1)
        return time.monotonic() - self.started_at

    def kill(self) -> None:
        """SIGKILL: no clean shutdown and no last commit, as when a machine dies."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.exits.append(Exit("kill", self.process.wait(10), clean=True))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            began = time.monotonic()
            try:
                code = self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
                code = None  # it did not stop by itself
            took = round(time.monotonic() - began, 1)
            self.exits.append(Exit("stop", code, clean=code == 0, seconds=took))

    def since_start(self) -> str:
        with self.log.open("rb") as out:
            out.seek(self.log_offset)
            return out.read().decode(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Deployment:
    """One isolated namespace on a broker: its own app id, topics and data folders."""

    root: Path
    run_id: str = field(default_factory=lambda: f"e2e-{uuid4().hex[:10]}")
    tracker_port: int = field(default_factory=free_port)
    orders_port: int = field(default_factory=free_port)
    workers: list[Worker] = field(default_factory=list)
    broker: str = field(default_factory=default_broker)
    settings: dict[str, str] = field(default_factory=dict)  # more EVENTCOLLAB_* for every worker

    def topic(self, name: str) -> str:
        return f"{self.run_id}-{name}"

    def env(self, service: str) -> dict[str, str]:
        return {
            **caller_env(),
            **self.settings,
            "EVENTCOLLAB_BROKER": self.broker,
            "EVENTCOLLAB_APP_ID": self.run_id,
            "EVENTCOLLAB_TOPIC_PREFIX": f"{self.run_id}-",
            "EVENTCOLLAB_DATA_DIR": str(self.datadir(service)),
            "EVENTCOLLAB_TRACKER_URL": self.tracker_url,
            "EVENTCOLLAB_ORDERS_URL": self.orders_url,
        }

    def worker(self, service: str = "all", label: str = "", port: int | None = None) -> Worker:
        """A worker (not started yet); `label` names a further worker of the same service."""
        if service == "all":
            self.orders_port = self.tracker_port  # one web server serves both
        ports = {"all": self.tracker_port, "tracker": self.tracker_port, "orders": self.orders_port}
        port = port or (None if label else ports.get(service)) or free_port()
        label = label or service
        worker = Worker(service, port, self.root / f"{label}.log", self.env(label), label=label)
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
        """Failed units of work and agent crashes in any worker's log: none is expected
        unless a fault was injected (a unit is retried, but its failure means something broke)."""
        return [
            f"{worker.name}: {line}"
            for worker in self.workers
            for line in worker.log.read_text().splitlines()
            if "unit of work failed" in line or "Crashed reason=" in line
        ]
