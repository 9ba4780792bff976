"""`eventcollab dead-letters`: filters, lines, and the count per service and error."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from builders import T0, order_placed

from eventcollab.cli import worker_service
from eventcollab.codec import encode
from eventcollab.dead_letter import DeadLetter, dead_letter
from eventcollab.dead_letters import (
    Filters,
    install_dead_letters_command,
    mark_text,
    readable,
    report,
    since_of,
)
from eventcollab.records import Refused
from eventcollab.replay.marks import concluded, published
from eventcollab.replaying_dead_letters import install_replay_dead_letters_command
from eventcollab.settings import Settings

PLACED = order_placed()
FILTERS = ["--service", "--topic", "--error", "--since", "--id"]


def letter(
    service: str = "payments",
    topic: str = "orders",
    offset: int = 0,
    error: Exception | None = None,
    key: bytes = b"k",
    value: bytes = b"x",
    at: datetime = T0,
) -> DeadLetter:
    record = ConsumerRecord(topic, 0, offset, 0, 0, key, value, None, 1, 1, ())
    return dead_letter(service, record, error or Refused("invalid", "order: Field required"), 1, at)


def test_each_filter_keeps_only_what_it_names() -> None:
    failing = letter("payments", error=RuntimeError("payments: boom"), key=b"k1")
    refused = letter("tracker", topic="p-payments", offset=1, at=T0 + timedelta(hours=1))
    of_workflow = letter("shipping", offset=2, key=b"other", value=encode(PLACED))
    every = [failing, refused, of_workflow]

    def kept(filters: Filters) -> list[DeadLetter]:
        return [one for one in every if filters.keep(one)]

    assert kept(Filters()) == every
    assert kept(Filters(service="tracker")) == [refused]
    assert kept(Filters(topics=frozenset({"payments", "p-payments"}))) == [refused]
    assert kept(Filters(error="BOOM")) == [failing]
    assert kept(Filters(error="runtimeerror")) == [failing]
    assert kept(Filters(since=T0 + timedelta(minutes=30))) == [refused]
    assert kept(Filters(id="k1")) == [failing]
    assert kept(Filters(id=PLACED.correlation_id)) == [of_workflow]


def test_a_time_without_a_zone_is_utc() -> None:
    assert since_of("2024-05-01T12:00:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert since_of("2024-05-01T14:00:00+02:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert since_of(None) is None


def test_the_report_lists_each_letter_then_counts_per_service_and_error() -> None:
    letters = [
        letter("payments", offset=5, error=RuntimeError("boom")),
        letter("tracker", offset=5),
        letter("tracker", offset=6),
    ]

    lines = report(letters, on_topic=4, unreadable=0)

    assert lines[0].split()[1:4] == ["payments", "orders[0]@5", "key"]
    assert lines[1].strip() == "RuntimeError after 1 attempt: boom"
    assert len(lines) == 2 * 3 + 3
    assert lines[-3:] == [
        "dead letters  3 (of 4 on the topic)",
        "  payments  RuntimeError     1",
        "  tracker   invalid          2",
    ]


def test_copies_count_once_and_what_is_not_a_dead_letter_is_counted_apart() -> None:
    one, other = letter(offset=1), letter(offset=2)

    letters, unreadable = readable([encode(one), encode(one), b"{}", None, encode(other)])

    assert (letters, unreadable) == ([one, other], 2)
    assert "unreadable    2 records" in "\n".join(report(letters, 3, unreadable))


def test_the_command_is_registered_with_its_filters() -> None:
    registered: list[tuple[tuple[Any, ...], Any]] = []

    class App:
        def command(self, *options: Any) -> Any:
            return lambda fun: registered.append((options, fun))

    install_dead_letters_command(App(), Settings())

    ((options, fun),) = registered
    assert fun.__name__ == "dead_letters"
    assert [o.args[0] for o in options] == [*FILTERS, "--all"]


def test_the_replay_command_takes_the_same_filters() -> None:
    registered: list[tuple[tuple[Any, ...], Any]] = []

    class App:
        def command(self, *options: Any) -> Any:
            return lambda fun: registered.append((options, fun))

    install_replay_dead_letters_command(App(), Settings())

    ((options, fun),) = registered
    assert fun.__name__ == "replay_dead_letters"  # `eventcollab replay-dead-letters`
    flags = ["--dry-run", "--restart", "--window", "--wait"]
    assert [o.args[0] for o in options] == [*FILTERS, *flags]


def test_service_before_the_command_is_the_worker_s_and_after_it_the_command_s() -> None:
    assert worker_service(["--service", "payments", "worker", "-l", "info"]) == (
        "payments",
        ["worker", "-l", "info"],
    )
    assert worker_service(["dead-letters", "--service", "stock"]) == (
        None,
        ["dead-letters", "--service", "stock"],
    )
    assert worker_service(["worker"]) == (None, ["worker"])


def test_the_listing_shows_a_dead_letter_s_history_and_what_its_replay_became() -> None:
    first = letter("payments", offset=1)
    again = letter("payments", offset=9).model_copy(update={"history": (first.dead_letter_id,)})
    sent = published(first, 9, T0)
    marks = {first.dead_letter_id: concluded(sent, again, T0)}

    lines = report([first, again], on_topic=3, unreadable=0, marks=marks, hidden=1)

    assert lines[2] == (
        "    replayed to orders[0]@9 at 2024-05-01T12:00:00.000+00:00, failed again: "
        f"dead letter {again.dead_letter_id}"
    )
    assert lines[5] == f"    replay of {first.dead_letter_id}"
    assert "replayed      1 done, not listed (--all lists them)" in lines
    assert mark_text(sent).endswith("not confirmed yet")
