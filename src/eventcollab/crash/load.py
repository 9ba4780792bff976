"""Orders at a steady rate, half through POST /orders and half written straight to `orders`."""

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.crash.catalog import Catalog
from eventcollab.crash.report import say
from eventcollab.models import Order, OrderLine, OrderPlaced

# Longer than the broker outage: a POST waits for the worker's producer, which waits for the broker.
HTTP_SECONDS = 90.0
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Placement:
    tag: str  # the customer id, unique per attempt
    correlation_id: str
    via: str  # http or direct
    at: float  # monotonic time of the acknowledgement


@dataclass
class Load:
    """Places orders until stopped; an order counts once the broker acknowledged it.

    Acknowledged means a 202 from the orders service, or the producer's acknowledgement (acks=all).
    A POST that finds no orders worker falls back to a direct write. A POST that got no answer may
    still have placed its order: its tag (the customer id) is kept, and the log tells afterwards.
    """

    bootstrap: str
    topic: str
    rate: float
    catalog: Catalog
    orders_url: Callable[[], str | None]  # a ready orders worker, or None
    seed: int
    prefix: str = "crash"  # of every tag, so that each tool's customers are told apart
    placed: list[Placement] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # tags of POSTs that got no answer
    retried: set[str] = field(default_factory=set)  # event ids of the direct writes sent again
    counts: Counter[str] = field(default_factory=Counter)
    pending: set[asyncio.Task[None]] = field(default_factory=set)
    running: bool = False

    async def start(self) -> None:
        self.chance = random.Random(self.seed)
        self.producer = AIOKafkaProducer(
            # Not idempotent, as the workers' producer (see eventcollab.runtime.kafka): aiokafka's
            # idempotent producer can stop for good on OutOfOrderSequenceNumber after a restart.
            bootstrap_servers=self.bootstrap,
            acks="all",
        )
        await self.producer.start()
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=HTTP_SECONDS),
        )
        self.running = True
        self.launcher = asyncio.create_task(self.launch(), name="load")

    async def launch(self) -> None:
        """One placement every 1/rate seconds on a fixed schedule, whatever each one waits for."""
        began, sequence = time.monotonic(), 0
        while self.running:
            task = asyncio.create_task(self.place(sequence))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            sequence += 1
            await asyncio.sleep(max(0.0, began + sequence / self.rate - time.monotonic()))

    async def stop(self, timeout: float = 180.0) -> int:
        """Stop placing; wait for the placements under way. Returns those still unacknowledged."""
        self.running = False
        await self.launcher
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)
        left = len(self.pending)
        for task in list(self.pending):
            task.cancel()
        await self.http.close()
        await self.producer.stop()
        return left

    async def place(self, sequence: int) -> None:
        try:
            await self.place_order(sequence)
        except Exception as error:  # counted and reported: a placement must not fail silently
            self.counts["placement_errors"] += 1
            say(f"load: placement {sequence} failed: {error!r}")

    async def place_order(self, sequence: int) -> None:
        lines = self.catalog.order(self.chance)
        tag = f"{self.prefix}-{sequence:07d}"
        url = self.orders_url() if sequence % 2 == 0 else None
        if url is not None:
            correlation_id = await self.post(url, tag, lines)
            if correlation_id is not None:
                self.placed.append(Placement(tag, correlation_id, "http", time.monotonic()))
                return
            tag = f"{tag}-direct"  # tells the fallback apart from an unanswered POST
        correlation_id = await self.write(tag, lines)
        self.placed.append(Placement(tag, correlation_id, "direct", time.monotonic()))

    async def post(self, url: str, tag: str, lines: tuple[OrderLine, ...]) -> str | None:
        body = {"customer_id": tag, "items": [line.model_dump(mode="json") for line in lines]}
        try:
            async with self.http.post(f"{url}/orders", json=body) as response:
                if response.status == 202:
                    correlation_id: str = (await response.json())["correlation_id"]
                    return correlation_id
                self.counts[f"http_{response.status}"] += 1
                text = await response.text()
                if response.status == 422:
                    say(f"load: the orders service refused a valid order: {text}")
                    return None
        except aiohttp.ClientConnectorError:
            self.counts["http_refused"] += 1  # no connection, so certainly no order
            return None
        except (aiohttp.ClientError, TimeoutError) as error:
            self.counts[f"http_{type(error).__name__}"] += 1
        self.unanswered.append(tag)
        return None

    async def write(self, tag: str, lines: tuple[OrderLine, ...]) -> str:
        """Write an OrderPlaced and retry the same bytes until the broker acknowledges them."""
        placed = OrderPlaced(
            event_id=uuid4(),
            correlation_id=str(uuid4()),
            causation_id=None,
            occurred_at=now(),
            producer="orders",
            order=Order.of(tag, lines),
        )
        value, key = encode(placed), placed.correlation_id.encode()
        while True:
            try:
                await self.producer.send_and_wait(self.topic, value, key=key)
                return placed.correlation_id
            except KafkaError as error:
                # A retried write that lands twice is the same event twice: a duplicate by id.
                self.counts[f"direct_retry_{type(error).__name__}"] += 1
                self.retried.add(str(placed.event_id))
                await asyncio.sleep(RETRY_SECONDS)

    def tally(self) -> dict[str, int]:
        vias = Counter(p.via for p in self.placed)
        return {"total": len(self.placed), "http": vias["http"], "direct": vias["direct"]}
