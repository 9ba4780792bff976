import asyncio

import pytest

from eventcollab.runtime.processor import acknowledged


class BrokerGone(Exception):
    pass


async def test_every_result_in_order_when_all_are_acknowledged() -> None:
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(3)]
    for number, future in zip((2, 0, 1), futures, strict=True):
        loop.call_later(0.001 * number, future.set_result, number)
    assert await acknowledged(futures) == [2, 0, 1]


async def test_one_refused_batch_fails_the_wait_once_all_are_done() -> None:
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(3)]
    loop.call_soon(futures[0].set_result, "metadata")
    loop.call_soon(futures[1].set_exception, BrokerGone("node not ready"))
    loop.call_later(0.01, futures[2].set_result, "metadata")
    with pytest.raises(BrokerGone):
        await acknowledged(futures)
    assert all(future.done() for future in futures)
