"""An event loop in a thread of its own: where each processor of a worker runs.

On one loop shared by a worker's processors, every step of a processor's work (a fetch answered,
an acknowledgement read, a unit of work resumed) waits for a turn of the loop, and each turn
first runs every other processor's next slice of decisions: the all-in-one worker's six
processors made a hop of the workflow wait for about five turns of 5-30 ms. On a loop of its own,
a processor's step waits only for the interpreter's lock, which a busy thread hands over 1 ms
after another asks for it (`sys.setswitchinterval`, set with the web server). The processors do
not run in parallel (the lock lets one thread run Python at a time): what changes is that none
waits for the others' decisions to take its next step.
"""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on this thread's loop; its result, or its exception, in the caller's.
        A SystemExit (a stop with a message, as a refused connection raises) is carried across
        as it is: raised on the thread's loop, it would end that loop before it answered."""
        try:
            return await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(carried(coroutine), self.loop)
            )
        except Carried as carrier:
            raise carrier.exit from None

    async def close(self) -> None:
        """Cancel what is left on the loop (tasks of clients that were stopped), stop it and wait
        for the thread."""
        if not self.running:
            return
        await self.call(cancelled_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join)
        self.loop.close()


class Carried(Exception):
    def __init__(self, exit: SystemExit) -> None:
        super().__init__(str(exit))
        self.exit = exit


async def carried(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return await coroutine
    except SystemExit as exit:
        raise Carried(exit) from None


async def cancelled_rest() -> None:
    """Every other task of the running loop cancelled, and awaited."""
    this = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not this]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)
