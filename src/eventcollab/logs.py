"""Log lines that name the record a handler was working on, as text or one JSON object a line.

The runtime marks the record in hand (`HANDLING`, a context variable: set and reset around each
record, about a tenth of a microsecond, so it costs nothing measurable on the hot path). Nothing
is decoded then: `HandlingContext`, a filter on the worker's log handlers, reads the correlation
id and event id out of the record only for a line that is actually written, which at the default
level means a retry or a dead letter.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord

Record: TypeAlias = ConsumerRecord[bytes, bytes]

# The processor whose handler runs in this task, and its record (None in a ticker's unit).
HANDLING: ContextVar[tuple[str, Record | None] | None] = ContextVar("handling", default=None)

# Added to every log record by `HandlingContext`; None outside a handler.
CONTEXT_FIELDS = ("service", "correlation_id", "event_id", "record")


def ids_of(record: Record) -> tuple[str | None, str | None]:
    """The correlation id and event (or stock command) id a record carries, without validating
    it: a line about a record that does not decode still names what can be read of it."""
    try:
        value = json.loads(record.value or b"")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        key = record.key.decode(errors="replace") if record.key is not None else None
        return key, None  # workflow topics are keyed by correlation id
    cause = value.get("cause")
    correlation = value.get("correlation_id")
    if correlation is None and isinstance(cause, dict):
        correlation = cause.get("correlation_id")  # a stock command, keyed by its SKU
    event = value.get("event_id", value.get("command_id"))
    return (
        None if correlation is None else str(correlation),
        None if event is None else str(event),
    )


class HandlingContext(logging.Filter):
    """Adds the service, correlation id, event id and record (`topic[partition]@offset`) of the
    handler running in this task to each log record, and the worker's id. For the text format
    they go to mode's `data`, which its formatters print after the message."""

    def __init__(self, worker: str) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self.worker
        handling = HANDLING.get()
        if handling is None:
            record.service = record.correlation_id = record.event_id = record.record = None
            return True
        service, handled = handling
        record.service = service
        if handled is None:
            record.correlation_id = record.event_id = record.record = None
        else:
            record.correlation_id, record.event_id = ids_of(handled)
            record.record = f"{handled.topic}[{handled.partition}]@{handled.offset}"
        shown = {name: getattr(record, name) for name in CONTEXT_FIELDS}
        record.data = {**getattr(record, "data", {}), **{k: v for k, v in shown.items() if v}}
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, for log shippers: fixed keys, null where a field has no value."""

    def __init__(self, worker: str | None = None) -> None:
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "worker": getattr(record, "worker", self.worker),
        }
        for name in CONTEXT_FIELDS:
            line[name] = getattr(record, name, None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str)


def formats(log_format: str, worker: str) -> dict[str, Any] | None:
    """What the worker's logging setup takes as `logging_config` for the format: for json, its
    own formatters replaced, so that its handlers (stderr, or `-f FILE`, at `-l LEVEL`) write
    JSON from its first line on. None keeps the worker's text lines."""
    if log_format != "json":
        return None
    json_lines = {"()": "eventcollab.logs.JsonLines", "worker": worker}
    # mode's setup names its formatters `colored` (a stream) and `default` (a file).
    return {"merge": True, "formatters": {"colored": json_lines, "default": json_lines}}


def install(worker: str) -> None:
    """The handler's context on every log handler of the worker, as it set them up."""
    context = HandlingContext(worker)
    for handler in logging.root.handlers:
        handler.addFilter(context)
