"""State in memory: read and written through a unit of work like the RocksDB store."""

from aiokafka import TopicPartition

from eventcollab.index import Count
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.work import Work


def test_a_unit_of_work_reads_back_what_an_earlier_unit_wrote_to_memory() -> None:
    store = MemoryStore()
    first = Work(store, 1_000_000)
    first.take(TopicPartition("payments", 3))
    first.save("counts", "a", Count(count=1))
    first.save("counts", "gone", Count(count=2))
    store.write(first.changes)

    second = Work(store, 1_000_000)
    second.take(TopicPartition("payments", 3))
    assert second.load("counts", "a", Count) == Count(count=1)
    second.delete("counts", "gone")
    store.write(second.changes)

    third = Work(store, 1_000_000)
    third.take(TopicPartition("payments", 3))
    assert third.load("counts", "gone", Count) is None
    third.take(TopicPartition("payments", 4))
    assert third.load("counts", "a", Count) is None  # state lives on its own partition


def test_a_scan_gives_a_tables_keys_in_order_or_backwards_like_rocksdb() -> None:
    store = MemoryStore()
    work = Work(store, 1_000_000)
    for key in ("b", "a", "c"):
        work.save("counts", key, Count(count=1))
    work.save("other", "a", Count(count=9))
    store.write(work.changes)

    assert [key for key, _ in Work(store, 1).scan("counts")] == ["a", "b", "c"]
    assert [key for key, _ in Work(store, 1).scan("counts", backwards=True)] == ["c", "b", "a"]
    assert [key for key, _ in store.partition(0).scan(b"counts/", start=b"counts/b")] == [
        b"counts/b",
        b"counts/c",
    ]
