"""Bad input and failing handlers on the real broker: every record a service cannot process is
dead-lettered with its reason, the partitions go on, and nothing is lost.

The fuzz test writes malformed records of every kind straight onto the workflow topics and
stock-commands while valid orders come in through POST /orders. The failing-handler test makes
payments raise on chosen orders (EVENTCOLLAB_FAIL_ON).
"""

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from eventcollab.app import PROCESSORS
from eventcollab.clock import now
from eventcollab.codec import encode, event_type_of
from eventcollab.dead_letter import MAX_VALUE_BYTES, DeadLetter, once
from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.models import Order, OrderLine, OrderPlaced
from eventcollab.runtime.kafka import partition_for
from eventcollab.settings import Settings
from eventcollab.topics import declare
from tests.e2e.conftest import started
from tests.e2e.fuzz import KINDS, Malformed, malformed_records
from tests.e2e.harness import (
    BOOTSTRAP,
    READY,
    Deployment,
    events_on,
    eventually,
    outcome,
    partitions_of,
    place_order,
    read_topic,
    workflow,
)

VALID_ORDERS = 200
PER_KIND = dict.fromkeys(KINDS, 130) | {"huge-value": 12}  # 1,052 malformed records
# The event types each processor reacts to; it passes over the others unread (None: it reads
# every record), and a record passed over is processed, not dead-lettered.
REACTS_TO = {
    "orders": orders.REACTS_TO,
    "payments": payments.REACTS_TO,
    "inventory": inventory.STARTS_CHAIN,
    "shipping": shipping.REACTS_TO,
    "tracker": None,
    "stock": None,
}
Place = tuple[str, str, int, int]  # service, topic, partition, offset


def inputs_of_processors() -> dict[str, tuple[str, ...]]:
    """Each processor's input topics, without a prefix."""
    settings = Settings()
    names = declare(settings)
    return {
        spec.name: spec.inputs for make in PROCESSORS.values() for spec in make(settings, names)
    }


def passes_over(value: bytes | None, reacts_to: frozenset[str] | None) -> bool:
    kind = event_type_of(value or b"")
    return reacts_to is not None and kind is not None and kind not in reacts_to


def readers_failing(record: Malformed) -> list[str]:
    """The processors that read the record's topic and do not pass it over by its type."""
    return [
        name
        for name, inputs in inputs_of_processors().items()
        if record.topic in inputs and not passes_over(record.value, REACTS_TO[name])
    ]


async def dead_letters(deployment: Deployment) -> list[DeadLetter]:
    records = await read_topic(deployment.topic("dead-letters"))
    return [DeadLetter.model_validate_json(r.value) for r in records]


async def processing(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(f"{url}/stats/processing") as response:
        assert response.status == 200
        counts: dict[str, Any] = (await response.json())["processors"]
        return counts


async def records_on(topics: list[str]) -> dict[str, int]:
    """How many records each topic holds: the sum of its partitions' end offsets."""
    partitions = [TopicPartition(t, p) for t in topics for p in await partitions_of(t)]
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {t: sum(end for tp, end in ends.items() if tp.topic == t) for t in topics}


async def nothing_lost(
    deployment: Deployment, http: aiohttp.ClientSession, letters: list[DeadLetter]
) -> dict[str, Any]:
    """Once every processor has read its inputs to the end: per processor, consumed = records on
    its inputs = processed + dead-lettered, and dead-lettered = its dead letters on the topic."""
    inputs = inputs_of_processors()
    per_service = Counter(letter.service for letter in letters)

    async def caught_up() -> dict[str, Any] | None:
        counts = await processing(http, deployment.tracker_url)
        on_topics = await records_on(
            sorted({deployment.topic(t) for i in inputs.values() for t in i})
        )
        read = {name: sum(on_topics[deployment.topic(t)] for t in i) for name, i in inputs.items()}
        done = all(counts[name]["consumed"] == read[name] for name in inputs)
        return counts if done else None

    counts = await eventually(caught_up, timeout=120)
    for name, count in counts.items():
        assert count["consumed"] == count["processed"] + count["dead_lettered"], name
        assert count["dead_lettered"] == per_service[name], name
    return counts


async def send_malformed(
    producer: AIOKafkaProducer, deployment: Deployment, records: list[Malformed]
) -> list[tuple[Malformed, Any]]:
    pending = [
        (record, await producer.send(deployment.topic(record.topic), record.value, key=record.key))
        for record in records
    ]
    return [(record, await future) for record, future in pending]


async def test_malformed_records_among_valid_orders_are_dead_lettered_and_nothing_is_lost(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    [worker] = deployment.workers
    sku = f"FUZZ-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, str(VALID_ORDERS))
    malformed = malformed_records(PER_KIND, seed=8)
    chunk = -(-len(malformed) // VALID_ORDERS)
    body = {"customer_id": "fuzzed", "items": [{"sku": sku, "quantity": 1, "unit_price": "3.50"}]}
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        placed, sent = [], []
        for n in range(VALID_ORDERS):  # one order, then the next few malformed records
            placed.append(await place_order(http, deployment.orders_url, body))
            sent += await send_malformed(
                producer, deployment, malformed[n * chunk : (n + 1) * chunk]
            )
    finally:
        await producer.stop()

    states = await asyncio.gather(*(outcome(http, deployment.tracker_url, c, 120) for c in placed))

    assert Counter(state["status"] for state in states) == {"completed": VALID_ORDERS}
    expected = {
        (service, meta.topic, meta.partition, meta.offset): record
        for record, meta in sent
        for service in readers_failing(record)
    }

    async def all_dead_lettered() -> list[DeadLetter] | None:
        letters = await dead_letters(deployment)
        places = {(x.service, x.topic, x.partition, x.offset) for x in letters}
        return letters if places >= expected.keys() else None

    letters = await eventually(all_dead_lettered, timeout=120)
    assert len(once(letters)) == len(letters)  # no unit was done twice
    assert {(x.service, x.topic, x.partition, x.offset) for x in letters} == expected.keys()
    for letter in letters:
        record = expected[letter.service, letter.topic, letter.partition, letter.offset]
        assert letter.error_type == KINDS[record.kind], (record.kind, letter.error)
        assert letter.error and letter.attempts == 1
        assert (letter.key, letter.value_size) == (record.key, len(record.value or b""))
        assert letter.value == (None if record.value is None else record.value[:MAX_VALUE_BYTES])
    counts = await nothing_lost(deployment, http, letters)
    assert all(count["retried"] == 0 for count in counts.values())
    assert worker.running and worker.since_start().count(READY) == 1
    listed = deployment.run_command("dead-letters", "--service", "stock", "--error", "wrong-key")
    stock_wrong_keys = [x for x in letters if (x.service, x.error_type) == ("stock", "wrong-key")]
    assert f"dead letters  {len(stock_wrong_keys)} (of {len(letters)} on the topic)" in listed
    deployment.run_command("audit", "--grace", "0")  # exit code 0: dead letters, no anomaly


def order_on(partition: int, customer_id: str, sku: str) -> OrderPlaced:
    """An OrderPlaced whose correlation id falls on `partition` of 8."""
    while partition_for(correlation_id := str(uuid4()), 8) != partition:
        pass
    line = OrderLine(sku=sku, quantity=1, unit_price=Decimal("2.00"))
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=correlation_id,
        causation_id=None,
        occurred_at=now(),
        producer="orders",
        order=Order.of(customer_id, (line,)),
    )


async def test_a_handler_that_keeps_failing_dead_letters_its_events_and_the_partition_goes_on(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings["EVENTCOLLAB_FAIL_ON"] = "payments:OrderPlaced:doomed-"
    started(deployment, "all")
    sku = f"FAIL-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "100")
    # On each of four partitions: an order, a doomed one, then two more after it.
    sequence = [
        order_on(p, f"{who}-{p}", sku)
        for p in range(4)
        for who in ("before", "doomed-", "after", "after")
    ]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        for placed in sequence:
            key = placed.correlation_id.encode()
            await producer.send_and_wait(deployment.topic("orders"), encode(placed), key=key)
    finally:
        await producer.stop()
    doomed = {p.correlation_id for p in sequence if p.order.customer_id.startswith("doomed-")}
    spared = [p.correlation_id for p in sequence if p.correlation_id not in doomed]

    states = await asyncio.gather(*(outcome(http, deployment.tracker_url, c) for c in spared))

    assert Counter(state["status"] for state in states) == {"completed": 12}
    letters = await eventually(lambda: letters_when(deployment, 4), timeout=60)
    assert {letter.key_text for letter in letters} == doomed
    for letter in letters:
        assert (letter.service, letter.topic) == ("payments", deployment.topic("orders"))
        assert (letter.error_type, letter.attempts) == ("InjectedFailure", 3)
    # What the failed attempts emitted was taken back: payments never answered the doomed.
    answered = {e.correlation_id for e in await events_on(deployment.topic("payments"))}
    assert answered.isdisjoint(doomed)
    for cid in doomed:
        state = await workflow(http, deployment.tracker_url, cid)
        assert state["status"] == "in_progress"
        assert state["waiting_for"]["service"] == "payments"
    counts = await nothing_lost(deployment, http, letters)
    assert (counts["payments"]["dead_lettered"], counts["payments"]["retried"]) == (4, 8)
    deployment.run_command("audit", "--grace", "0")  # the doomed orders are no anomaly


async def letters_when(deployment: Deployment, count: int) -> list[DeadLetter] | None:
    letters = await dead_letters(deployment)
    return letters if len(letters) >= count else None
