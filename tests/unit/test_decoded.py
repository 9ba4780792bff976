"""Stored states kept decoded: the most recently used ones, equal to what their store holds."""

from eventcollab.index import Count
from eventcollab.runtime.decoded import Decoded
from eventcollab.runtime.memory import MemoryPartition
from eventcollab.workflow import WorkflowState


def test_the_least_recently_used_state_leaves_first() -> None:
    kept = Decoded(limit=2)
    a, b, c = Count(count=1), Count(count=2), Count(count=3)
    kept.put(b"a", a)
    kept.put(b"b", b)
    assert kept.get(b"a", Count) is a  # a is now the most recently used
    kept.put(b"c", c)

    assert kept.get(b"b", Count) is None
    assert kept.get(b"a", Count) is a and kept.get(b"c", Count) is c


def test_a_state_of_another_model_is_not_handed_out() -> None:
    kept = Decoded()
    kept.put(b"a", Count(count=1))
    assert kept.get(b"a", WorkflowState) is None


def test_a_write_keeps_the_states_given_and_forgets_every_other_key_it_wrote() -> None:
    kept = Decoded()
    old, new = Count(count=1), Count(count=2)
    for key in (b"given", b"bytes only", b"deleted", b"untouched"):
        kept.put(key, old)

    kept.written({b"given": b"2", b"bytes only": b"5", b"deleted": None}, {b"given": new})

    assert kept.get(b"given", Count) is new
    assert kept.get(b"bytes only", Count) is None
    assert kept.get(b"deleted", Count) is None
    assert kept.get(b"untouched", Count) is old


def test_memory_state_is_decoded_once_and_follows_every_write() -> None:
    partition = MemoryPartition({b"a": b'{"count":1}'})
    first = partition.state(b"a", Count)
    assert first == Count(count=1) and partition.state(b"a", Count) is first

    partition.write({b"a": b'{"count":4}'})  # bytes without their state: decoded anew
    assert partition.state(b"a", Count) == Count(count=4)
    partition.write({b"a": None})
    assert partition.state(b"a", Count) is None
