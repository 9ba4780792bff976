"""Orders written straight to `orders` at a steady rate, as the intake writes them, each retried
until the brokers acknowledge it: the load goes on whatever a broker does meanwhile."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from eventcollab.codec import encode
from eventcollab.web.orders import OrderItem, PlaceOrder, order_placed

RETRY_SECONDS = 0.5


@dataclass
class SteadyOrders:
    bootstrap: str
    topic: str
    sku: str
    rate: float
    began: list[float] = field(default_factory=list)  # when each placement began (epoch s)
    placed: dict[int, str] = field(default_factory=dict)  # placement number: correlation id
    retried: int = 0  # sends refused or timed out, then sent again
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    running: asyncio.Task[None] | None = None

    def since(self, start: float, end: float) -> list[int]:
        """The placements that began in [start, end)."""
        return [number for number, at in enumerate(self.began) if start <= at < end]

    def start(self) -> None:
        self.running = asyncio.create_task(self.run())

    async def stop(self, timeout: float) -> None:
        """No new placement; wait for those under way to be acknowledged."""
        self.stopping.set()
        if self.running is not None:
            await asyncio.wait_for(self.running, timeout)

    def cancel(self) -> None:
        if self.running is not None:
            self.running.cancel()

    async def run(self) -> None:
        """One placement every 1/rate s on a fixed schedule, however long each one waits."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        placing: set[asyncio.Task[None]] = set()
        try:
            schedule = time.monotonic()
            while not self.stopping.is_set():
                placing.add(asyncio.create_task(self.place(producer, len(self.began))))
                self.began.append(time.time())
                next_at = schedule + len(self.began) / self.rate
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await asyncio.gather(*placing)
        finally:
            for task in placing:
                task.cancel()
            await producer.stop()

    async def place(self, producer: AIOKafkaProducer, number: int) -> None:
        line = OrderItem(sku=self.sku, quantity=1, unit_price=1)
        event = order_placed(PlaceOrder(customer_id=f"steady-{number}", items=(line,)), now())
        value, key = encode(event), event.correlation_id.encode()
        while True:
            try:
                await producer.send_and_wait(self.topic, value, key=key)
            except KafkaError:
                # The same bytes again: if both attempts landed, it is one event twice, which
                # every consumer ignores and the audit counts as a copy.
                self.retried += 1
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.placed[number] = event.correlation_id
            return


def now() -> datetime:
    return datetime.now(UTC)
