"""Orders written straight onto `orders` as OrderPlaced, in a burst or at a fixed rate."""

import asyncio
import random
import time
from decimal import Decimal
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.models import AddStock
from eventcollab.web.orders import OrderItem, PlaceOrder, order_placed

SKUS = tuple(f"BENCH-{number:02d}" for number in range(64))
# Far more than the orders of a run take (at most 3 units a line): no order is ever short.
RESTOCK_UNITS = 10_000
Placed = tuple[str, bytes]  # correlation id, encoded OrderPlaced


def orders(count: int, chance: random.Random) -> list[Placed]:
    """Encoded beforehand, so that a burst measures the contender and not the encoder."""
    placed = []
    for _ in range(count):
        skus = chance.sample(SKUS, chance.choice((1, 2)))
        lines = tuple(
            OrderItem(sku=sku, quantity=chance.randint(1, 3), unit_price=Decimal("19.99"))
            for sku in skus
        )
        event = order_placed(PlaceOrder(customer_id=f"bench-{uuid4().hex[:8]}", items=lines), now())
        placed.append((event.correlation_id, encode(event)))
    return placed


class Feeder:
    """One producer (acks=all, as the workers'); keys are correlation ids, as orders uses."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=1)

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def restock(self, topic: str) -> None:
        """AddStock for every SKU, acknowledged before any order: they precede every reservation."""
        sent = []
        for sku in SKUS:
            command = AddStock(command_id=uuid4(), sku=sku, quantity=RESTOCK_UNITS)
            sent.append(await self.producer.send(topic, encode(command), key=sku.encode()))
        await asyncio.gather(*sent)

    async def burst(self, batch: list[Placed]) -> float:
        """As fast as the producer takes them; returns the monotonic time of the first write."""
        began = time.monotonic()
        sent = [await self.producer.send(self.topic, v, key=k.encode()) for k, v in batch]
        await asyncio.gather(*sent)
        return began

    async def paced(self, batch: list[Placed], rate: float) -> dict[str, float]:
        """One order every 1/rate s on a fixed schedule; returns each one's scheduled time.

        Latency counts from the schedule, not the actual write, so a feeder that falls behind
        cannot hide the contender's queueing (no coordinated omission).
        """
        began, scheduled, sent = time.monotonic() + 0.05, {}, []
        for number, (key, value) in enumerate(batch):
            at = began + number / rate
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            scheduled[key] = at
            sent.append(await self.producer.send(self.topic, value, key=key.encode()))
        await asyncio.gather(*sent)
        return scheduled
