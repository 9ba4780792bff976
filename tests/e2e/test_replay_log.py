"""The log as a replay reads it, on the real broker: fixed ends, partition order, resume."""

from uuid import uuid4

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from eventcollab.replay.log import reader, records_in, span_of
from tests.e2e.harness import BOOTSTRAP


async def test_a_replay_reads_each_partition_in_order_up_to_the_ends_it_began_with() -> None:
    topic = f"replay-log-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 3, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        for n in range(30):
            await producer.send_and_wait(topic, f"{n}".encode(), partition=n % 3)
        partitions = [TopicPartition(topic, p) for p in range(3)]

        consumer = reader(BOOTSTRAP)
        await consumer.start()
        try:
            span = await span_of(consumer, partitions)
            await producer.send_and_wait(topic, b"later", partition=0)  # after the replay began
            seen = [(r.partition, r.offset, r.value) async for r in records_in(consumer, span)]
            resumed = await span_of(consumer, partitions, {f"{topic}:0": 7, f"{topic}:2": 10})
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
        await admin.delete_topics([topic])
        await admin.close()

    assert span.total == 30 and len(seen) == 30
    assert b"later" not in {value for _, _, value in seen}
    for partition in range(3):
        mine = [(offset, value) for p, offset, value in seen if p == partition]
        assert [offset for offset, _ in mine] == list(range(10))
        assert [value for _, value in mine] == [f"{n}".encode() for n in range(partition, 30, 3)]
    assert {tp.partition: resumed.start[tp] for tp in resumed.start} == {0: 7, 1: 0, 2: 10}
    assert resumed.total == (11 - 7) + 10 + 0  # partition 0 has the later record by now
