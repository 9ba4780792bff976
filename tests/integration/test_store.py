"""A partition's RocksDB writes its state and checkpoint together, without a log of its own."""

import subprocess
import sys
from pathlib import Path

from eventcollab.runtime.store import CHECKPOINT, KEY_COUNT, PartitionStore

# A process that writes three units and dies without closing the store (as kill -9 would).
DIES_AFTER_WRITING = """
import os, sys
from pathlib import Path
from eventcollab.runtime.store import PartitionStore
store = PartitionStore(Path(sys.argv[1]))
for n, key in enumerate((b"a", b"b", b"c"), 1):
    store.write({key: str(n).encode()}, n)
os._exit(0)
"""


def test_a_crash_keeps_each_write_whole_with_its_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "0.db"
    subprocess.run([sys.executable, "-c", DIES_AFTER_WRITING, str(path)], check=True)

    store = PartitionStore(path)
    reached = store.checkpoint
    # Without RocksDB's log the latest writes may be gone, but only with their checkpoint: what
    # is left is the state after some whole write, which the changelog restore continues from.
    assert 0 <= reached <= 3
    kept = [key for key in (b"a", b"b", b"c") if store.get(key) is not None]
    assert kept == [b"a", b"b", b"c"][:reached]
    store.close()


def test_a_closed_store_keeps_everything(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "0.db")
    store.write({b"a": b"1", b"b": None}, 7)
    store.close()

    again = PartitionStore(tmp_path / "0.db")
    assert (again.checkpoint, again.get(b"a"), again.get(b"b")) == (7, b"1", None)
    assert again.get(CHECKPOINT) == b"7"
    again.close()


def test_the_key_count_follows_every_write_and_outlives_the_store(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "0.db")
    store.write({b"t/a": b"1", b"t/b": b"1", b"t/gone": None}, 1)  # a tombstone of nothing
    store.write({b"t/a": b"2", b"t/c": b"1"}, 2)  # one overwritten, one new
    store.write({b"t/b": None, b"t/b2": None}, 3)
    assert store.key_count == 2
    store.close()

    again = PartitionStore(tmp_path / "0.db")
    assert again.key_count == 2
    again.close()


def test_a_store_written_before_the_count_was_kept_is_counted_once(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "0.db")
    store.write({b"t/a": b"1", b"t/b": b"1", b"t/c": b"1"}, 1)
    store.db.delete(KEY_COUNT)  # as a store written by the version before
    store.close()

    again = PartitionStore(tmp_path / "0.db")
    assert again.key_count == 3
    again.write({b"t/a": None}, 2)
    assert (again.key_count, again.get(KEY_COUNT)) == (2, b"2")
    again.close()
