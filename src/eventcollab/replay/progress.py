"""Progress of a long replay: a bar with counts, rate and time left; a checkpoint that lets an
interrupted replay go on where it stopped; a summary at the end.

A replay saves, per `topic:partition`, the offset after the last record it has finished (with
whatever it did for it). Ctrl-C (SIGINT) stops it between two records: the checkpoint is saved,
and running the same replay again starts from there, so nothing is done twice. A replay that
finished removes its checkpoint.
"""

import asyncio
import json
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from eventcollab.replay.log import Record

INTERRUPTED = 130  # the exit code of a command stopped by SIGINT, as shells report it


class Checkpoint:
    """Offsets finished, per `topic:partition`, in a JSON file written whole (rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offsets: dict[str, int] = {}
        if path.exists():
            self.offsets = {k: int(v) for k, v in json.loads(path.read_text()).items()}

    @property
    def resumed(self) -> bool:
        return bool(self.offsets)

    def finished(self, record: Record) -> None:
        self.offsets[f"{record.topic}:{record.partition}"] = record.offset + 1

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        written = self.path.with_suffix(".tmp")
        written.write_text(json.dumps(self.offsets, sort_keys=True))
        os.replace(written, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


class Stop:
    """Set by SIGINT; the replay looks at it between records."""

    def __init__(self) -> None:
        self.asked = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.asked = True


@contextmanager
def stoppable() -> Iterator[Stop]:
    """SIGINT asks the replay to stop at the next record instead of raising KeyboardInterrupt.

    A Faust command runs in a worker whose event loop has a SIGINT handler of its own, which
    stops the command at once, between any two awaits: it is taken away meanwhile, and given
    back after.
    """
    stop = Stop()
    taken = loop_handler()
    if taken is not None:
        taken[0].remove_signal_handler(signal.SIGINT)
    before = signal.signal(signal.SIGINT, stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, before)
        if taken is not None:
            loop, handle = taken
            callback: Callable[..., object] = getattr(handle, "_callback")  # noqa: B009
            loop.add_signal_handler(signal.SIGINT, callback, *handle._args)


def loop_handler() -> tuple[asyncio.AbstractEventLoop, asyncio.Handle] | None:
    """The running event loop's SIGINT handler, when it has one (asyncio keeps it private)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    handle = getattr(loop, "_signal_handlers", {}).get(signal.SIGINT)
    return None if handle is None else (loop, handle)


class Tally:
    """Counts of what a replay did, by outcome, for its summary."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    def summary(self) -> str:
        return ", ".join(f"{outcome} {n:,}" for outcome, n in sorted(self.counts.items())) or "-"


@contextmanager
def bar(description: str, total: int, console: Console | None = None) -> Iterator["Bar"]:
    """A progress bar on stderr (on a terminal; plain otherwise), advanced record by record."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as shown:
        task = shown.add_task(description, total=total, rate="")
        yield Bar(shown, task)


class Bar:
    def __init__(self, shown: Progress, task: TaskID) -> None:
        self.shown, self.task = shown, task

    def advance(self, n: int = 1) -> None:
        self.shown.advance(self.task, n)
        speed = self.shown.tasks[self.task].speed
        if speed:
            self.shown.update(self.task, rate=f"{speed:,.0f}/s")
