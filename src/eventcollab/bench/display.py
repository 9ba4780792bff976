"""The progress display: a log line per step and a bar per phase (rich)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(highlight=False)


def say(message: str) -> None:
    console.log(message)


@contextmanager
def bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A bar of `total` workflows; the callable sets how many are done."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)
