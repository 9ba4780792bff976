"""What a unit of work done again leaves on the log: its events published again under the same
ids, its state written again. A worker restarted gracefully must leave neither."""

from collections import Counter
from collections.abc import Iterable


def published_twice(ids: Iterable[str]) -> list[str]:
    """The ids that occur more than once: decisions are deterministic, so a unit decided again
    publishes each of its events again under the id it had."""
    return sorted(i for i, count in Counter(ids).items() if count > 1)


def written_again(
    changes: Iterable[tuple[int, bytes | None, bytes | None]], exempt: tuple[bytes, ...] = ()
) -> list[bytes]:
    """The keys of a changelog written again with the value they already had on their partition.

    `changes` are (partition, key, value) in log order per partition. A unit writes a key once,
    and only with a new value; the same value again is the same change stored twice. Counts
    kept per partition share their keys across partitions, each its own. Keys starting with an
    `exempt` prefix may legitimately be written unchanged.
    """
    last: dict[tuple[int, bytes], bytes | None] = {}
    again: list[bytes] = []
    for partition, key, value in changes:
        if key is None or key.startswith(exempt):
            continue
        if (partition, key) in last and last[partition, key] == value:
            again.append(key)
        last[partition, key] = value
    return again
