"""Whether a worker is alive (its event loop turns) and ready (every processor serving).

Both are asked from the web server's thread, which keeps answering when the worker's own event
loop is stuck: so the loop proves it is alive by beating, and a beat too old means it is not.
"""

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

BEAT_SECONDS = 1.0


class Heartbeat:
    """The last time the worker's event loop ran `beating`; the monotonic clock can be given."""

    def __init__(self, stale_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.last = clock()  # a worker still starting counts as alive for `stale_seconds`

    def beat(self) -> None:
        self.last = self.clock()

    async def beating(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(BEAT_SECONDS)

    @property
    def age(self) -> float:
        return self.clock() - self.last

    @property
    def stale(self) -> bool:
        return self.age > self.stale_seconds


class Serving(Protocol):
    """What readiness reads of a processor (`runtime.processor.Processor`)."""

    stopping: bool
    rebalancing: bool
    restoring: tuple[int, ...]
    owned: set[int]
    ready: asyncio.Event
    running_in: asyncio.AbstractEventLoop | None
    loop_task: "asyncio.Task[None] | None"


def not_alive(heartbeat: Heartbeat, processors: Mapping[str, Serving]) -> str | None:
    """Why the worker is not alive, or None when it is."""
    if heartbeat.stale:
        return (
            f"the worker's event loop last beat {heartbeat.age:.1f} s ago "
            f"(stale after {heartbeat.stale_seconds:g} s)"
        )
    for name, processor in processors.items():
        task = processor.loop_task
        if task is not None and task.done() and not processor.stopping:
            return f"processor {name}: its loop ended"
    return None


def not_ready(processor: Serving) -> str | None:
    """Why the processor cannot serve yet, or None once its partitions are assigned and
    restored and no rebalance is under way."""
    if processor.stopping:
        return "stopping"
    if processor.running_in is None:
        return "not started"
    if processor.loop_task is not None and processor.loop_task.done():
        return "its loop ended"
    restoring = processor.restoring  # replaced whole: read once
    if restoring:
        return f"restoring partitions {', '.join(map(str, restoring))}"
    if not processor.ready.is_set():
        return "waiting for its first assignment"
    if processor.rebalancing:
        return "rebalancing: waiting for its partitions to be assigned again"
    return None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    processors: dict[str, dict[str, object]]
    alive: str | None  # why not alive, or None

    def body(self) -> dict[str, object]:
        shown: dict[str, object] = {"ready": self.ready, "processors": self.processors}
        if self.alive is not None:
            shown["reason"] = self.alive
        return shown


def readiness(heartbeat: Heartbeat, processors: Mapping[str, Serving]) -> Readiness:
    """Each processor's state; ready when every one is, and the worker alive."""
    states: dict[str, dict[str, object]] = {}
    for name, processor in processors.items():
        reason = not_ready(processor)
        if reason is None:
            states[name] = {"ready": True, "partitions": sorted(processor.owned)}
        else:
            states[name] = {"ready": False, "reason": reason}
    dead = not_alive(heartbeat, processors)
    ready = dead is None and all(state["ready"] for state in states.values())
    return Readiness(ready, states, dead)
