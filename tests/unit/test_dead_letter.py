"""The dead-letter record: the original whole, where it came from, why, and a stable id."""

import base64
import json
from datetime import UTC, datetime
from uuid import uuid4

from aiokafka import ConsumerRecord
from builders import T0, authorized, order_placed

from eventcollab.codec import encode
from eventcollab.dead_letter import (
    MAX_HISTORY,
    MAX_KEY_BYTES,
    MAX_VALUE_BYTES,
    REPLAY_HISTORY,
    REPLAY_OF,
    DeadLetter,
    dead_letter,
    dead_letter_id,
    history_of,
    ids_in,
    ids_text,
    once,
    tally,
)
from eventcollab.domain import inventory
from eventcollab.records import Refused


def source(
    value: bytes | None, key: bytes | None = b"k", offset: int = 7
) -> ConsumerRecord[bytes, bytes]:
    headers = (("trace", b"\x01\x02"),)
    size = len(value or b"")
    return ConsumerRecord(
        "orders", 3, offset, 1_714_564_800_000, 0, key, value, None, 1, size, headers
    )


def test_a_refused_record_is_kept_whole_with_its_place_and_reason() -> None:
    letter = dead_letter(
        "payments", source(b"\xff not json"), Refused("undecodable", "Invalid"), 1, T0
    )

    assert (letter.topic, letter.partition, letter.offset) == ("orders", 3, 7)
    assert (letter.key, letter.value, letter.value_size) == (b"k", b"\xff not json", 10)
    assert [(h.key, h.value) for h in letter.headers] == [("trace", b"\x01\x02")]
    assert (letter.error_type, letter.error, letter.attempts) == ("undecodable", "Invalid", 1)
    assert letter.record_time == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert letter.dead_lettered_at == T0


def test_a_handler_s_exception_is_named_by_its_class() -> None:
    letter = dead_letter("shipping", source(b"{}"), ZeroDivisionError("division by zero"), 3, T0)

    assert (letter.error_type, letter.error, letter.attempts) == (
        "ZeroDivisionError",
        "division by zero",
        3,
    )


def test_the_id_is_the_same_for_the_same_service_and_record_and_differs_otherwise() -> None:
    first = dead_letter("payments", source(b"x"), Refused("invalid", "a"), 1, T0)
    again = dead_letter("payments", source(b"x"), Refused("invalid", "a"), 1, datetime.now(UTC))
    elsewhere = dead_letter("payments", source(b"x", offset=8), Refused("invalid", "a"), 1, T0)
    other_service = dead_letter("tracker", source(b"x"), Refused("invalid", "a"), 1, T0)

    assert (
        first.dead_letter_id == again.dead_letter_id == dead_letter_id("payments", "orders", 3, 7)
    )
    assert len({first.dead_letter_id, elsewhere.dead_letter_id, other_service.dead_letter_id}) == 3


def test_bytes_travel_as_base64_and_come_back_the_same() -> None:
    letter = dead_letter(
        "payments", source(bytes(range(256)), key=None), Refused("invalid", "x"), 1, T0
    )

    as_json = json.loads(encode(letter))
    back = DeadLetter.model_validate_json(encode(letter))

    assert base64.urlsafe_b64decode(as_json["value"]) == bytes(range(256))
    assert as_json["key"] is None
    assert back == letter


def test_a_value_too_large_to_travel_whole_is_cut_and_its_size_kept() -> None:
    huge = b"x" * (MAX_VALUE_BYTES + 10)

    letter = dead_letter("tracker", source(huge), Refused("invalid", "too long"), 1, T0)

    assert letter.value == huge[:MAX_VALUE_BYTES]
    assert (letter.value_size, letter.cut) == (len(huge), True)
    assert len(encode(letter)) < 1_000_000  # fits one record batch


def test_a_huge_key_and_huge_headers_are_cut_too_so_that_the_dead_letter_fits_a_batch() -> None:
    big = b"k" * 900_000
    headers = tuple((f"h{n}", b"v" * 300_000) for n in range(3))
    record = ConsumerRecord("orders", 0, 1, 0, 0, big, b"x" * 200_000, None, 1, 1, headers)

    letter = dead_letter("tracker", record, Refused("invalid", "huge"), 1, T0)

    assert letter.cut and letter.key == big[:MAX_KEY_BYTES]
    assert [h.key for h in letter.headers] == ["h0"]  # the others no longer fit
    assert len(encode(letter)) + len(letter.key or b"") < 1_000_000


def test_a_record_that_fits_is_not_cut() -> None:
    letter = dead_letter("tracker", source(b"x" * 1000), Refused("invalid", "x"), 1, T0)

    assert not letter.cut and len(letter.headers) == 1


def test_the_correlation_id_is_read_from_an_event_or_a_command_s_cause() -> None:
    placed = order_placed()
    reserve = inventory.start_reservation(authorized(placed))

    def letter(value: bytes) -> DeadLetter:
        return dead_letter("x", source(value), RuntimeError("bug"), 3, T0)

    assert letter(encode(placed)).correlation_id == placed.correlation_id
    assert letter(encode(reserve)).correlation_id == placed.correlation_id
    assert letter(b"not json").correlation_id is None
    assert letter(b"[1]").correlation_id is None
    assert letter(b'{"correlation_id": 5}').correlation_id is None


def test_copies_of_a_dead_letter_count_once_per_service_and_error() -> None:
    a = dead_letter("payments", source(b"x", offset=1), Refused("invalid", "a"), 1, T0)
    b = dead_letter("payments", source(b"x", offset=2), RuntimeError("b"), 3, T0)
    c = dead_letter("tracker", source(b"x", offset=1), Refused("invalid", "a"), 1, T0)

    kept = once([a, b, a, c, b])

    assert kept == [a, b, c]
    assert tally(kept) == {
        ("payments", "RuntimeError"): 1,
        ("payments", "invalid"): 1,
        ("tracker", "invalid"): 1,
    }


def replayed(headers: tuple[tuple[str, bytes | None], ...]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("orders", 3, 9, 1_714_564_800_000, 0, b"k", b"x", None, 1, 1, headers)


def test_a_replayed_record_that_fails_again_keeps_its_history_oldest_first() -> None:
    first, second, replaying = uuid4(), uuid4(), uuid4()
    headers = (
        ("trace", b"t"),
        (REPLAY_OF, str(replaying).encode()),
        (REPLAY_HISTORY, f"{first},{second}".encode()),
    )

    letter = dead_letter("payments", replayed(headers), RuntimeError("again"), 3, T0)

    assert letter.history == (first, second, replaying)
    assert DeadLetter.model_validate_json(letter.model_dump_json()).history == letter.history


def test_a_record_never_replayed_has_no_history_and_old_dead_letters_still_decode() -> None:
    letter = dead_letter("payments", source(b"x"), Refused("invalid", "a"), 1, T0)
    written_before_replays = json.loads(letter.model_dump_json())
    del written_before_replays["history"]

    assert letter.history == ()
    assert DeadLetter.model_validate(written_before_replays).history == ()


def test_a_history_header_that_is_not_ids_never_stops_a_dead_letter() -> None:
    replaying = uuid4()
    headers = (
        (REPLAY_HISTORY, b"\xff, not-an-id,,"),
        (REPLAY_OF, str(replaying).encode()),
    )
    many = (REPLAY_HISTORY, ",".join(str(uuid4()) for _ in range(500)).encode())

    assert history_of(headers) == (replaying,)
    assert history_of((many, (REPLAY_OF, None))) == tuple(ids_in(many[1])[-MAX_HISTORY:])
    assert ids_text([replaying]) == str(replaying).encode() and ids_text([]) == b""
