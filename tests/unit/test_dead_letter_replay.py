"""Replaying dead letters, the pure part: which are published, grouped by record, the copy's
headers, and the marks that say what became of each."""

from datetime import timedelta
from uuid import uuid4

from aiokafka import ConsumerRecord
from builders import T0

from eventcollab.dead_letter import (
    MAX_VALUE_BYTES,
    REPLAY_HISTORY,
    REPLAY_OF,
    DeadLetter,
    dead_letter,
)
from eventcollab.dead_letters import Filters
from eventcollab.records import Refused
from eventcollab.replay.dead_letters import planned
from eventcollab.replay.letters import Found, copy_letter_id, plan
from eventcollab.replay.marks import Replayed, concluded, latest, published
from eventcollab.replaying_dead_letters import checkpoint_name
from eventcollab.settings import Settings

LETTERS = "dead-letters"
EVERY = Filters().keep


def original(
    offset: int,
    headers: tuple[tuple[str, bytes | None], ...] = (),
    value: bytes = b'{"event_type": "OrderPlaced"',
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("orders", 2, offset, 0, 0, b"k", value, None, 1, len(value), headers)


def failed(
    service: str, offset: int, seconds: int = 0, value: bytes = b'{"event_type": "Order'
) -> DeadLetter:
    record = original(offset, value=value)
    return dead_letter(service, record, Refused("undecodable", "EOF"), 1, T0 + timedelta(seconds))


def found(letter: DeadLetter, at: int, partition: int = 0) -> Found:
    record = ConsumerRecord(LETTERS, partition, at, 0, 0, None, b"", None, 0, 0, ())
    return Found(record, letter)


def mark(letter: DeadLetter, outcome: str = "done") -> Replayed:
    return published(letter, 40, T0).model_copy(update={"outcome": outcome})


def test_a_record_several_services_failed_is_published_once_for_all_its_dead_letters() -> None:
    tracker, payments = failed("tracker", 5, seconds=2), failed("payments", 5, seconds=1)
    other = failed("payments", 6)
    on_topic = [found(tracker, 0), found(payments, 1), found(other, 2), found(payments, 3)]

    chosen = plan(on_topic, {}, Filters(service="payments").keep, {})

    # The tracker's dead letter follows the record it holds, though the filter named payments.
    assert [o.letters for o in chosen.originals] == [(payments, tracker), (other,)]
    # A run that stops after the first record goes on after the first dead letter it selected.
    assert [o.at.offset for o in chosen.originals] == [1, 2]
    assert chosen.letters == 3 and chosen.refused == [] and chosen.to_confirm == []


def test_filters_marks_and_where_an_earlier_run_stopped_decide_what_is_published() -> None:
    first, second, third = failed("payments", 1), failed("payments", 2), failed("shipping", 3)
    on_topic = [found(first, 0), found(second, 1), found(third, 2)]

    assert [o.first for o in plan(on_topic, {}, EVERY, {}).originals] == [first, second, third]
    assert plan(on_topic, {}, Filters(service="shipping").keep, {}).letters == 1
    # Any mark, whatever its outcome, keeps a dead letter from being published again.
    for outcome in ("done", "failed again", "published"):
        marks = {first.dead_letter_id: mark(first, outcome)}
        assert [o.first for o in plan(on_topic, marks, EVERY, {}).originals] == [second, third]
    assert [o.first for o in plan(on_topic, {}, EVERY, {f"{LETTERS}:0": 2}).originals] == [third]


def test_a_dead_letter_cut_to_fit_is_refused_and_a_published_one_is_only_confirmed() -> None:
    cut = failed("payments", 1, value=b"x" * (MAX_VALUE_BYTES + 1))
    earlier = failed("payments", 2)
    pending = mark(earlier, "published")

    chosen = plan([found(cut, 0), found(earlier, 1)], {earlier.dead_letter_id: pending}, EVERY, {})

    assert cut.cut and chosen.refused == [cut] and chosen.originals == []
    assert chosen.to_confirm == [pending]
    assert planned(chosen)[-1] == "dry run  refused (cut) 1, to confirm 1"


def test_the_copy_keeps_the_original_headers_and_names_the_dead_letters_it_replays() -> None:
    oldest, older = uuid4(), uuid4()
    headers = (
        ("trace", b"t"),
        (REPLAY_OF, str(older).encode()),
        (REPLAY_HISTORY, str(oldest).encode()),
    )
    record = original(9, headers)
    letters = [
        dead_letter(service, record, RuntimeError("again"), 3, T0 + timedelta(seconds=n))
        for n, service in enumerate(("payments", "tracker"))
    ]

    (copy,) = plan([found(x, n) for n, x in enumerate(letters)], {}, EVERY, {}).originals

    ids = ",".join(str(x.dead_letter_id) for x in letters).encode()
    assert copy.headers() == [
        ("trace", b"t"),
        (REPLAY_OF, ids),
        (REPLAY_HISTORY, f"{oldest},{older}".encode()),
    ]
    never_replayed = plan([found(failed("payments", 1), 0)], {}, EVERY, {}).originals[0]
    alone = str(never_replayed.first.dead_letter_id).encode()
    assert never_replayed.headers() == [(REPLAY_OF, alone), (REPLAY_HISTORY, b"")]


def test_a_mark_is_done_unless_the_service_dead_lettered_the_copy() -> None:
    letter = failed("payments", 1)
    sent = published(letter, 40, T0)
    copy = ConsumerRecord("orders", 2, 40, 0, 0, b"k", b"x", None, 1, 1, ())
    again = dead_letter("payments", copy, RuntimeError("still"), 3, T0)

    assert (sent.outcome, sent.place()) == ("published", "orders[2]@40")
    assert copy_letter_id(sent) == again.dead_letter_id
    assert concluded(sent, None, T0).outcome == "done"
    failed_again = concluded(sent, again, T0)
    assert (failed_again.outcome, failed_again.again) == ("failed again", again.dead_letter_id)


def test_the_last_mark_of_each_dead_letter_counts() -> None:
    letter, other = failed("payments", 1), failed("payments", 2)
    first = published(letter, 40, T0)
    then = concluded(first, None, T0)
    values = [
        first.model_dump_json().encode(),
        None,
        b"not a mark",
        then.model_dump_json().encode(),
    ]
    values.append(published(other, 41, T0).model_dump_json().encode())

    marks = latest(values)

    assert marks == {letter.dead_letter_id: then, other.dead_letter_id: marks[other.dead_letter_id]}
    assert marks[other.dead_letter_id].outcome == "published"


def test_each_deployment_and_selection_has_a_checkpoint_of_its_own() -> None:
    settings = Settings()
    payments = checkpoint_name(settings, Filters(service="payments"))

    assert payments == checkpoint_name(settings, Filters(service="payments"))
    assert payments != checkpoint_name(settings, Filters(service="tracker"))
    assert payments != checkpoint_name(Settings(topic_prefix="x-"), Filters(service="payments"))
