"""The suite's workers by label: start and time each recovery, kill -9, stop, find who serves."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from eventcollab.crash.drain import LagProbe, until_drained
from eventcollab.crash.processes import Deployment, Worker, free_port
from eventcollab.crash.report import Clock, Fault, Recovery, RunReport, say

DRAIN_SECONDS = 180.0


@dataclass
class Fleet:
    deployment: Deployment
    report: RunReport
    probe: LagProbe
    workers: dict[str, Worker] = field(default_factory=dict)
    up: set[str] = field(default_factory=set)  # labels of workers started and ready
    draining: list[tuple[list[Recovery], asyncio.Task[None]]] = field(default_factory=list)
    placed: Callable[[], int] = lambda: 0  # orders placed so far, to date each fault

    def add(self, service: str, label: str = "") -> Worker:
        """A worker for `service`; the first tracker (or all-in-one) serves the tracker's URL."""
        label = label or service
        port = self.deployment.tracker_port if label in ("all", "tracker") else free_port()
        worker = self.deployment.worker(service, label=label, port=port)
        self.workers[label] = worker
        return worker

    async def start(self, *labels: str, reason: str) -> list[Recovery]:
        """Start these workers together; each one's recovery is timed to ready, then drained."""
        recoveries = [Recovery(label, reason, Clock.now()) for label in labels]
        self.report.recoveries += recoveries
        await asyncio.gather(*(self.ready(r) for r in recoveries))
        self.watch_drain(recoveries)
        return recoveries

    async def ready(self, recovery: Recovery) -> None:
        worker = self.workers[recovery.target]
        worker.start()
        say(f"{recovery.target}: started ({recovery.reason})")
        recovery.start_to_ready_s = round(await worker.ready(), 2)
        self.up.add(recovery.target)
        say(f"{recovery.target}: ready in {recovery.start_to_ready_s:.1f} s")

    def watch_drain(self, recoveries: list[Recovery]) -> None:
        task = asyncio.create_task(self.drain(recoveries))
        self.draining.append((recoveries, task))

    async def drain(self, recoveries: list[Recovery]) -> None:
        drained = await until_drained(self.probe, DRAIN_SECONDS)
        names = ", ".join(r.target for r in recoveries)
        for recovery in recoveries:
            recovery.drained_s = None if drained is None else round(drained, 2)
            recovery.drain_note = "" if drained is not None else f"not within {DRAIN_SECONDS} s"
        drained_in = f"drained in {drained:.1f} s" if drained is not None else "NOT drained"
        say(f"{names}: backlog {drained_in}")

    def interrupt(self, reason: str) -> None:
        """A new fault ends the drain measurements still running: they would time the new one."""
        for recoveries, task in self.draining:
            if not task.done():
                task.cancel()
                for recovery in recoveries:
                    recovery.drain_note = f"not drained before {reason}"
        self.draining.clear()

    async def settle(self) -> None:
        """Wait until every drain measurement under way has its answer."""
        await asyncio.gather(*(task for _, task in self.draining))
        self.draining.clear()

    def fault(self, kind: str, target: str, detail: str = "") -> None:
        self.report.faults.append(Fault(kind, target, Clock.now(), detail, self.placed()))
        say(f"FAULT {kind} {target} {detail}".rstrip())

    async def kill(self, label: str, detail: str = "") -> None:
        self.interrupt(f"kill -9 of {label}")
        self.fault("kill-9", label, detail)
        self.up.discard(label)
        await asyncio.to_thread(self.workers[label].kill)

    async def stop(self, label: str, detail: str = "", kind: str = "sigterm") -> None:
        """Stop gracefully (SIGTERM); a worker that does not exit cleanly is reported."""
        self.interrupt(f"stop of {label}")
        self.fault(kind, label, detail)
        self.up.discard(label)
        worker = self.workers[label]
        await asyncio.to_thread(worker.stop)
        if worker.exits:
            say(f"{label}: exited with {worker.exits[-1].returncode}")

    def urls(self, *services: str) -> list[str]:
        """The web servers of the ready workers that run one of these services."""
        return [
            worker.url
            for label, worker in self.workers.items()
            if label in self.up and worker.running and worker.name in services
        ]

    def orders_url(self) -> str | None:
        return next(iter(self.urls("all", "orders")), None)

    async def stop_all(self) -> None:
        """SIGTERM to every worker still running, all at once."""
        self.up.clear()
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in self.workers.values()))
