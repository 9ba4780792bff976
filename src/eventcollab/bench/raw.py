"""The ceiling: the same hops as eventcollab in one hand-written aiokafka consumer loop.

One process, one consumer (its own group) on the four workflow topics and stock-commands, the
same JSON envelope and keys, decoded with orjson into dicts, state in dicts (no changelog, no
RocksDB). Per batch from getmany: decide every record, send every output, wait once for all the
acknowledgements (acks=all), then commit. Shortages are refused without the release chain: the
benchmark restocks so that none happens.

    python -m eventcollab.bench.raw BOOTSTRAP TOPIC_PREFIX
"""

import asyncio
import signal
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from eventcollab.models import derived_id
from eventcollab.runtime.kafka import MAX_BATCH_BYTES

READY = "raw ready"
Out = list[tuple[str, str, bytes]]
Doc = dict[str, Any]


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def follow_up(cause: Doc, kind: str, producer: str, **fields: Any) -> Doc:
    """The same envelope as eventcollab.domain.follow_up, as a dict."""
    return {
        "event_type": kind,
        "event_id": str(derived_id(UUID(cause["event_id"]), kind)),
        "correlation_id": cause["correlation_id"],
        "causation_id": cause["event_id"],
        "occurred_at": now(),
        "producer": producer,
        "order": cause["order"],
        **fields,
    }


class Pipeline:
    """Payments, inventory, the stock keeper, shipping, orders and a tracker, as dict folds."""

    def __init__(self, prefix: str) -> None:
        self.orders, self.payments = f"{prefix}orders", f"{prefix}payments"
        self.inventory, self.shipments = f"{prefix}inventory", f"{prefix}shipments"
        self.stock_commands = f"{prefix}stock-commands"
        self.paid: set[str] = set()
        self.shipped: set[str] = set()
        self.concluded: set[str] = set()
        self.stock: dict[str, int] = {}
        self.ledger: set[str] = set()  # "<sku>/<correlation id or command id>"
        self.status: dict[str, str] = {}  # the tracker: last event type seen per workflow

    @property
    def topics(self) -> list[str]:
        return [self.orders, self.payments, self.inventory, self.shipments, self.stock_commands]

    def handle(self, topic: str, value: bytes, out: Out) -> None:
        doc: Doc = orjson.loads(value)
        if topic == self.stock_commands:
            self.keep_stock(doc, out)
            return
        self.status[doc["correlation_id"]] = doc["event_type"]
        kind = doc["event_type"]
        if kind == "OrderPlaced":
            self.authorize(doc, out)
        elif kind == "PaymentAuthorized":
            first = self.reserve_line(doc, 0)
            self.emit(out, self.stock_commands, first, key=first["sku"])
        elif kind == "StockReserved":
            self.schedule(doc, out)
        elif kind == "ShipmentScheduled":
            self.complete(doc, out)

    def emit(self, out: Out, topic: str, doc: Doc, key: str | None = None) -> None:
        out.append((topic, key or doc["correlation_id"], orjson.dumps(doc)))

    def authorize(self, placed: Doc, out: Out) -> None:
        if placed["correlation_id"] in self.paid:
            return
        self.paid.add(placed["correlation_id"])
        payment_id = str(derived_id(UUID(placed["event_id"]), "payment"))
        amount = placed["order"]["total"]
        authorized = follow_up(
            placed, "PaymentAuthorized", "payments", payment_id=payment_id, amount=amount
        )
        self.emit(out, self.payments, authorized)

    def reserve_line(self, cause: Doc, index: int) -> Doc:
        return {
            "command_id": str(derived_id(UUID(cause["event_id"]), f"ReserveStock/{index}")),
            "sku": cause["order"]["lines"][index]["sku"],
            "cause": cause,
            "line_index": index,
            "command_type": "ReserveStock",
        }

    def keep_stock(self, command: Doc, out: Out) -> None:
        sku, kind = command["sku"], command["command_type"]
        ref = command["command_id"] if kind == "AddStock" else command["cause"]["correlation_id"]
        entry = f"{sku}/{ref}"
        if entry in self.ledger:
            return  # a re-delivered command changes nothing
        self.ledger.add(entry)
        if kind == "AddStock":
            self.stock[sku] = self.stock.get(sku, 0) + command["quantity"]
        elif kind == "ReserveStock":
            self.reserve(command, out)

    def reserve(self, command: Doc, out: Out) -> None:
        cause, index = command["cause"], command["line_index"]
        lines = cause["order"]["lines"]
        wanted, available = lines[index]["quantity"], self.stock.get(command["sku"], 0)
        if wanted > available:
            fields = {"sku": command["sku"], "requested": wanted, "available": available}
            self.emit(
                out, self.inventory, follow_up(cause, "StockUnavailable", "inventory", **fields)
            )
            return
        self.stock[command["sku"]] = available - wanted
        if index + 1 < len(lines):
            following = self.reserve_line(cause, index + 1)
            self.emit(out, self.stock_commands, following, key=following["sku"])
        else:
            self.emit(out, self.inventory, follow_up(cause, "StockReserved", "inventory"))

    def schedule(self, reserved: Doc, out: Out) -> None:
        if reserved["correlation_id"] in self.shipped:
            return
        self.shipped.add(reserved["correlation_id"])
        shipment_id = str(derived_id(UUID(reserved["event_id"]), "shipment"))
        scheduled = follow_up(reserved, "ShipmentScheduled", "shipping", shipment_id=shipment_id)
        self.emit(out, self.shipments, scheduled)

    def complete(self, scheduled: Doc, out: Out) -> None:
        if scheduled["correlation_id"] in self.concluded:
            return
        self.concluded.add(scheduled["correlation_id"])
        shipment = scheduled["shipment_id"]
        self.emit(
            out, self.orders, follow_up(scheduled, "OrderCompleted", "orders", shipment_id=shipment)
        )


async def run(bootstrap: str, prefix: str, stop: asyncio.Event) -> None:
    pipeline = Pipeline(prefix)
    # The same client settings as eventcollab's runtime (eventcollab.runtime.kafka).
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        max_batch_size=MAX_BATCH_BYTES,
        linger_ms=1,
    )
    consumer = AIOKafkaConsumer(
        *pipeline.topics,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}raw",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
    )
    await producer.start()
    await consumer.start()
    try:
        await loop(consumer, producer, pipeline, stop)
    finally:
        await consumer.stop()
        await producer.stop()


async def loop(
    consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, pipeline: Pipeline, stop: asyncio.Event
) -> None:
    announced = False
    while not stop.is_set():
        batch: dict[Any, list[ConsumerRecord[bytes, bytes]]] = await consumer.getmany(
            timeout_ms=500, max_records=500
        )
        if not announced and consumer.assignment():
            print(READY, flush=True)
            announced = True
        if not batch:
            continue
        out: Out = []
        for tp, records in batch.items():
            for record in records:
                pipeline.handle(tp.topic, record.value or b"", out)
        sent = [await producer.send(t, v, key=k.encode()) for t, k, v in out]
        await asyncio.gather(*sent)  # every output acknowledged before the inputs are committed
        await consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})


def main(argv: list[str]) -> int:
    bootstrap, prefix = argv

    async def serve() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run(bootstrap, prefix, stop)

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
