"""A replay's checkpoint, its stop on SIGINT and its summary."""

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

from aiokafka import ConsumerRecord

from eventcollab.replay.progress import Checkpoint, Tally, stoppable


def record(topic: str, partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, partition, offset, 0, 0, b"k", b"v", None, 1, 1, ())


def test_a_checkpoint_keeps_the_offset_after_the_last_finished_record_per_partition(
    tmp_path: Path,
) -> None:
    path = tmp_path / "replay" / "run.json"
    checkpoint = Checkpoint(path)
    assert not checkpoint.resumed
    checkpoint.finished(record("orders", 0, 4))
    checkpoint.finished(record("orders", 0, 5))
    checkpoint.finished(record("payments", 3, 0))
    checkpoint.save()

    again = Checkpoint(path)
    assert again.resumed
    assert again.offsets == {"orders:0": 6, "payments:3": 1}
    again.remove()
    assert not path.exists() and not Checkpoint(path).resumed


def test_sigint_asks_the_replay_to_stop_instead_of_raising() -> None:
    with stoppable() as stop:
        assert not stop.asked
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.asked
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_summary_counts_each_outcome() -> None:
    tally = Tally()
    tally.add("republished", 1200)
    tally.add("skipped")
    tally.add("skipped")

    assert tally.summary() == "republished 1,200, skipped 2"
    assert Tally().summary() == "-"


async def test_sigint_inside_an_event_loop_with_its_own_handler_only_asks_the_replay_to_stop() -> (
    None
):
    loop = asyncio.get_running_loop()
    handled: list[str] = []
    loop.add_signal_handler(signal.SIGINT, handled.append, "worker stops")
    try:
        with stoppable() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(0.05)  # turns of the loop, which would run its handler
            assert stop.asked and handled == []
        os.kill(os.getpid(), signal.SIGINT)
        await until(lambda: handled == ["worker stops"])
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within a second")
