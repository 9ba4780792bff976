"""A unit of work takes back what a record's handler did when the handler raised."""

from builders import order_placed

from eventcollab.codec import encode
from eventcollab.index import Count
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.store import changelog_key
from eventcollab.runtime.work import Work


def handled(
    work: Work, saves: dict[str, int], emits: int = 1, deletes: tuple[str, ...] = ()
) -> None:
    """What a handler does: save counts under keys, delete keys, emit events."""
    for key, count in saves.items():
        work.save("counts", key, Count(count=count))
    for key in deletes:
        work.delete("counts", key)
    for _ in range(emits):
        work.emit("payments", "key", order_placed())


def test_a_rollback_takes_back_every_save_delete_and_emit_since_the_savepoint() -> None:
    work = Work(None, 1_000_000)
    work.savepoint()
    handled(work, {"a": 1, "gone": 5})
    kept_changes = {p: dict(c) for p, c in work.changes.items()}
    kept_outputs, kept_bytes = list(work.outputs), work.changed_bytes[0]

    work.savepoint()
    handled(work, {"a": 2, "b": 3}, emits=2, deletes=("gone",))
    work.save("counts", "a", Count(count=4))  # a key saved twice by one record
    work.rollback()

    assert work.changes == kept_changes
    assert work.outputs == kept_outputs
    assert work.changed_bytes[0] == kept_bytes
    assert work.load("counts", "a", Count) == Count(count=1)
    assert work.load("counts", "gone", Count) == Count(count=5)


def test_after_a_rollback_of_the_only_record_nothing_is_left_to_write() -> None:
    work = Work(None, 1_000_000)
    work.on(3)
    work.savepoint()
    handled(work, {"a": 1}, deletes=("b",))

    work.rollback()

    assert (work.changes, work.states, work.outputs) == ({}, {}, [])
    assert not work.full


def test_a_savepoint_keeps_what_the_records_before_it_did() -> None:
    work = Work(None, 1)  # full after any change
    work.savepoint()
    handled(work, {"a": 1})
    work.savepoint()
    handled(work, {"b": 2})
    work.savepoint()  # the second record went well: its changes stay too

    work.rollback()  # a third record raised before doing anything

    assert set(work.changes[0]) == {b"counts/a", b"counts/b"}
    assert len(work.outputs) == 2
    assert work.full


def test_dead_letters_and_counts_are_the_unit_s_not_the_handler_s() -> None:
    work = Work(None, 1_000_000)
    work.savepoint()
    work.dead_letter(2, b"key", b"{}")
    work.rollback()

    assert work.letters == [(2, b"key", b"{}")]
    assert work.dead_lettered == 1


def test_what_the_store_holds_is_known_from_reads_before_the_unit_changed_a_key() -> None:
    store = MemoryStore()
    store.partition(0).write({changelog_key("counts", "there"): encode(Count(count=1))})
    before = Work(store, 1_000_000)
    before.save("counts", "saved", Count(count=2))
    before.delete("counts", "dropped")
    work = Work(store, 1_000_000, before)
    work.save("counts", "mine", Count(count=3))

    for key in ("there", "absent", "saved", "dropped", "mine"):
        work.load("counts", key, Count)
    work.save("counts", "absent", Count(count=4))
    work.load("counts", "absent", Count)  # its own save: the store still lacks it

    assert work.held[0] == {
        changelog_key("counts", "there"): True,
        changelog_key("counts", "absent"): False,
        changelog_key("counts", "saved"): True,  # stored with the unit before, first
        changelog_key("counts", "dropped"): False,
    }
