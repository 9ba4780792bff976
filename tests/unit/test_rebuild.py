"""What a rebuild appends to a changelog: exactly what turns the old state into the new one."""

from eventcollab.replay.rebuild import differences


def test_changed_and_new_values_are_written_and_keys_gone_get_a_tombstone() -> None:
    old: dict[bytes, bytes | None] = {
        b"workflows/a": b"right",
        b"workflows/b": b"wrong",
        b"workflows/c": b"stale",
        b"workflows/d": None,  # deleted already
    }
    new = {b"workflows/a": b"right", b"workflows/b": b"fixed", b"workflows/e": b"missing"}

    assert list(differences(old, new)) == [
        (b"workflows/b", b"fixed"),
        (b"workflows/e", b"missing"),
        (b"workflows/c", None),
    ]
    assert list(differences(dict(new), new)) == []
