"""Log lines written while a real processor handles a record name that record's workflow."""

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from eventcollab.logs import HANDLING, HandlingContext
from eventcollab.runtime.kafka import partition_for
from eventcollab.runtime.processor import Handler
from eventcollab.runtime.work import Work
from tests.integration.processors import PARTITIONS
from tests.integration.test_dead_letters import harness, raising
from tests.integration.test_unit_of_work import on_one_partition


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[Kept]:
    handler = Kept()
    handler.addFilter(HandlingContext("eventcollab-worker-payments"))
    logger = logging.getLogger("eventcollab")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    yield handler
    logger.removeHandler(handler)
    logger.level = level


def logging_each(handler: Handler) -> Handler:
    """The service's handler, logging a line of its own about each record."""

    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        logging.getLogger("eventcollab.handler").info("handling")
        handler(work, record)

    return handle


def context(record: logging.LogRecord) -> tuple[Any, ...]:
    return (record.levelname, record.service, record.correlation_id, record.event_id)


async def test_the_retry_and_dead_letter_lines_name_the_failing_record(
    tmp_path: Path, kept: Kept
) -> None:
    doomed, spared = on_one_partition(2)
    payments = harness(tmp_path, raising(None, on=doomed.correlation_id))

    await payments.processor.process(payments.keyed(payments.names.orders, doomed, spared))

    failing = ("payments", doomed.correlation_id, str(doomed.event_id))
    assert [context(r) for r in kept.records] == [("WARNING", *failing), ("ERROR", *failing)]
    assert "dead-lettered after 3 attempt(s)" in kept.records[-1].getMessage()
    partition = partition_for(doomed.correlation_id, PARTITIONS)
    assert kept.records[-1].record == f"{payments.names.orders}[{partition}]@0"
    assert HANDLING.get() is None  # nothing named once the unit is done


async def test_each_line_of_a_handler_names_its_own_record(tmp_path: Path, kept: Kept) -> None:
    first, second = on_one_partition(2)
    payments = harness(tmp_path, logging_each)

    await payments.processor.process(payments.keyed(payments.names.orders, first, second))

    assert [context(r) for r in kept.records] == [
        ("INFO", "payments", first.correlation_id, str(first.event_id)),
        ("INFO", "payments", second.correlation_id, str(second.event_id)),
    ]


async def test_a_unit_stores_and_commits_without_a_line_at_the_default_level(
    tmp_path: Path, kept: Kept
) -> None:
    """No log call per record on the way through: at INFO a healthy unit writes nothing."""
    first, second = on_one_partition(2)
    payments = harness(tmp_path)

    await payments.processor.process(payments.keyed(payments.names.orders, first, second))
    await payments.processor.flush_commits()

    assert kept.records == []
