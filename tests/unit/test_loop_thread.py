"""A processor's event loop in a thread of its own: calls, failures, stops carried across."""

import asyncio
import threading

import pytest

from eventcollab.runtime.threads import LoopThread


async def test_a_call_runs_on_the_threads_loop_and_answers_in_the_callers() -> None:
    thread = LoopThread("test-loop")
    thread.start()
    try:

        async def where() -> tuple[int, asyncio.AbstractEventLoop]:
            await asyncio.sleep(0)
            return threading.get_ident(), asyncio.get_running_loop()

        ident, loop = await thread.call(where())
        assert ident != threading.get_ident()
        assert loop is thread.loop and loop is not asyncio.get_running_loop()
    finally:
        await thread.close()
    assert not thread.running and thread.loop.is_closed()


async def test_a_failure_and_a_stop_reach_the_caller_and_the_loop_goes_on() -> None:
    thread = LoopThread("test-loop")
    thread.start()
    try:

        async def fails() -> None:
            raise ValueError("refused")

        async def stops() -> None:
            raise SystemExit("eventcollab: stopped, the broker refused the connection")

        with pytest.raises(ValueError, match="refused"):
            await thread.call(fails())
        with pytest.raises(SystemExit, match="broker refused"):
            await thread.call(stops())

        async def answers() -> int:
            return 7

        assert await thread.call(answers()) == 7  # a SystemExit did not end the loop
    finally:
        await thread.close()


async def test_closing_cancels_what_is_left_on_the_loop() -> None:
    thread = LoopThread("test-loop")
    thread.start()
    cancelled = threading.Event()

    async def leave_a_task() -> None:
        async def forever() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        asyncio.get_running_loop().create_task(forever())

    await thread.call(leave_a_task())
    await thread.close()

    assert cancelled.is_set() and not thread.running
