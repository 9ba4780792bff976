"""Log lines that name the record in hand: the context filter and the JSON format."""

import json
import logging
import sys
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from builders import authorized, order_placed
from pydantic import ValidationError

from eventcollab.codec import encode
from eventcollab.crash.processes import is_ready_line
from eventcollab.logs import HANDLING, HandlingContext, JsonLines, formats, ids_of
from eventcollab.models import ReserveStock
from eventcollab.settings import Settings, explained

Record = ConsumerRecord[bytes, bytes]


def consumed(key: bytes | None, value: bytes, topic: str = "orders", offset: int = 7) -> Record:
    return ConsumerRecord(topic, 3, offset, 0, 0, key, value, None, 0, len(value), ())


def line(message: str = "x %s", *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            exc_info = sys.exc_info()
    level = logging.ERROR
    return logging.LogRecord("eventcollab.test", level, __file__, 1, message, args, exc_info)


def filtered(record: logging.LogRecord) -> logging.LogRecord:
    assert HandlingContext("eventcollab-worker-all").filter(record) is True
    return record


def test_a_line_outside_any_handler_names_the_worker_and_no_record() -> None:
    record = filtered(line())

    assert record.worker == "eventcollab-worker-all"
    assert (record.service, record.correlation_id, record.event_id, record.record) == (
        None,
        None,
        None,
        None,
    )
    assert not hasattr(record, "data")  # the text line stays as it was


def test_a_line_inside_a_handler_names_its_service_correlation_and_event_ids() -> None:
    placed = order_placed()
    handled = consumed(placed.correlation_id.encode(), encode(placed))
    marked = HANDLING.set(("payments", handled))
    try:
        record = filtered(line())
    finally:
        HANDLING.reset(marked)

    assert record.service == "payments"
    assert record.correlation_id == placed.correlation_id
    assert record.event_id == str(placed.event_id)
    assert record.record == "orders[3]@7"
    # mode's text formatters print `data` after the message.
    assert record.data == {
        "service": "payments",
        "correlation_id": placed.correlation_id,
        "event_id": str(placed.event_id),
        "record": "orders[3]@7",
    }


def test_the_context_ends_with_the_handler() -> None:
    placed = order_placed()
    marked = HANDLING.set(("payments", consumed(b"k", encode(placed))))
    HANDLING.reset(marked)

    assert filtered(line()).service is None


def test_a_stock_command_names_its_workflow_and_its_command_id() -> None:
    cause = authorized()
    command = ReserveStock(command_id=uuid4(), sku="PEN", cause=cause, line_index=0)

    assert ids_of(consumed(b"PEN", encode(command))) == (
        cause.correlation_id,
        str(command.command_id),
    )


@pytest.mark.parametrize("value", [b"not json", b"[1, 2]", b""])
def test_a_record_that_does_not_decode_is_named_by_its_key(value: bytes) -> None:
    assert ids_of(consumed(b"some-workflow", value)) == ("some-workflow", None)


def test_a_tickers_line_names_its_service_and_no_record() -> None:
    marked = HANDLING.set(("tracker", None))
    try:
        record = filtered(line())
    finally:
        HANDLING.reset(marked)

    assert (record.service, record.correlation_id, record.record) == ("tracker", None, None)
    assert record.data == {"service": "tracker"}


def test_a_json_line_has_fixed_keys_and_the_handlers_context() -> None:
    placed = order_placed()
    marked = HANDLING.set(("payments", consumed(placed.correlation_id.encode(), encode(placed))))
    try:
        record = filtered(line("dead-lettered after %d attempt(s)", 3))
    finally:
        HANDLING.reset(marked)
    record.created = 1_700_000_000.25

    shown = json.loads(JsonLines().format(record))

    assert shown == {
        "time": "2023-11-14T22:13:20.250+00:00",
        "level": "ERROR",
        "logger": "eventcollab.test",
        "message": "dead-lettered after 3 attempt(s)",
        "worker": "eventcollab-worker-all",
        "service": "payments",
        "correlation_id": placed.correlation_id,
        "event_id": str(placed.event_id),
        "record": "orders[3]@7",
    }


def test_a_json_line_carries_its_exception_as_a_field_on_the_same_line() -> None:
    text = JsonLines().format(filtered(line(exc=True)))

    assert "\n" not in text
    shown = json.loads(text)
    assert shown["exception"].startswith("Traceback (most recent call last):")
    assert shown["exception"].endswith("RuntimeError: boom")
    assert shown["service"] is None


def test_a_json_line_without_the_filter_still_has_every_key() -> None:
    shown = json.loads(JsonLines().format(line()))

    assert list(shown) == [
        "time",
        "level",
        "logger",
        "message",
        "worker",
        "service",
        "correlation_id",
        "event_id",
        "record",
    ]


def test_a_json_line_before_the_filter_is_installed_still_names_the_worker() -> None:
    shown = json.loads(JsonLines(worker="eventcollab-worker-tracker").format(line()))

    assert (shown["worker"], shown["service"]) == ("eventcollab-worker-tracker", None)


def test_json_replaces_the_formatters_of_the_workers_logging_setup_and_text_keeps_them() -> None:
    json_lines = {"()": "eventcollab.logs.JsonLines", "worker": "w"}
    assert formats("json", "w") == {
        "merge": True,  # the worker's handlers, level and file stay
        "formatters": {"colored": json_lines, "default": json_lines},
    }
    assert formats("text", "w") is None


def test_the_log_format_is_text_or_json_and_a_wrong_one_is_named_by_its_variable() -> None:
    assert Settings().log_format == "text"
    assert Settings(log_format="json").log_format == "json"
    with pytest.raises(ValidationError) as wrong:
        Settings(log_format="xml")

    assert explained(wrong.value) == (
        "eventcollab: not started, these settings are wrong:\n"
        "  EVENTCOLLAB_LOG_FORMAT='xml': Input should be 'text' or 'json'"
    )


@pytest.mark.parametrize(
    ("line", "ready"),
    [
        ("[2026-11-28 02:25:57,236] [15791] [INFO] eventcollab ready: tracker assigned", True),
        ('{"level": "INFO", "message": "eventcollab ready: tracker assigned and restored"}', True),
        ('{"level": "INFO", "message": "not eventcollab ready: yet"}', False),
        ('{"level": "INFO", "message": "eventcollab ready:', False),  # cut short
    ],
)
def test_the_ready_line_is_found_in_either_format(line: str, ready: bool) -> None:
    assert is_ready_line(line) is ready
