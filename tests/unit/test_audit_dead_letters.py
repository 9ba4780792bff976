"""The audit reports dead letters in its summary, never as anomalies, and does not count a
workflow that a service set aside as one without an outcome."""

import json
from dataclasses import replace

from aiokafka import ConsumerRecord
from builders import T0, line
from test_audit import CHANGELOG, Planted, audit, found

from eventcollab.audit.model import AuditLog, Record
from eventcollab.audit.report import as_json, render_text
from eventcollab.codec import encode
from eventcollab.dead_letter import DeadLetter, dead_letter
from eventcollab.models import OrderPlaced
from eventcollab.records import Refused


def stuck_order(log: Planted) -> OrderPlaced:
    """An order whose OrderPlaced payments never answered: it stays in progress."""
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    placed: OrderPlaced = log.of(cid, OrderPlaced)
    log.events = [e for e in log.events if e.correlation_id != cid or e is placed]
    return placed


def letter_for(
    value: bytes, key: str, error: Exception, service: str = "payments", offset: int = 0
) -> DeadLetter:
    record = ConsumerRecord("orders", 0, offset, 0, 0, key.encode(), value, None, 1, 1, ())
    return dead_letter(service, record, error, 3, T0)


def with_letters(log: AuditLog, *letters: DeadLetter | bytes) -> AuditLog:
    values = [one if isinstance(one, bytes) else encode(one) for one in letters]
    records = [Record("dead-letters", 0, n, None, v, 0) for n, v in enumerate(values)]
    return replace(log, dead_letters=tuple(records))


def test_a_workflow_whose_order_placed_a_service_gave_up_on_has_no_missing_outcome() -> None:
    log = Planted()
    placed = stuck_order(log)
    assert found(audit(log.log())) == {("no-outcome", placed.correlation_id)}
    letter = letter_for(encode(placed), placed.correlation_id, RuntimeError("bug"))

    result = audit(with_letters(log.log(), letter, letter))  # the same dead letter twice

    assert result.anomalies == ()
    assert result.summary.dead_letters == {("payments", "RuntimeError"): 1}
    assert "dead letters 1 (set aside by the services)" in render_text(result)
    assert "  payments   RuntimeError     1" in render_text(result)
    assert json.loads(json.dumps(as_json(result)))["summary"]["dead_letters"] == [
        {"service": "payments", "error_type": "RuntimeError", "count": 1}
    ]


def test_a_refused_record_excuses_no_workflow_even_if_it_names_one() -> None:
    log = Planted()
    placed = stuck_order(log)
    refused = letter_for(encode(placed), "another key", Refused("wrong-key", "key"), "tracker")

    result = audit(with_letters(log.log(), refused))

    assert found(result) == {("no-outcome", placed.correlation_id)}
    assert result.summary.dead_letters == {("tracker", "wrong-key"): 1}


def test_an_event_under_another_key_is_a_bad_record_as_the_services_refuse_it() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    copy = log.of(cid, OrderPlaced).model_copy(update={"correlation_id": "nobody-knows"})
    log.extra = [("orders", cid, encode(copy))]  # keyed by another workflow's id

    result = audit(log.log())

    assert result.anomalies == ()  # not a workflow without an outcome nor a tracker mismatch
    [bad] = result.summary.bad_records
    assert bad.topic == "orders"
    assert "is not the correlation id nobody-knows" in bad.error


def test_a_record_on_the_dead_letter_topic_that_is_no_dead_letter_is_a_bad_record() -> None:
    log = Planted()
    log.restock("PEN", 1)
    log.order(line("PEN", 1))

    result = audit(with_letters(log.log(), b"not a dead letter"))

    assert result.anomalies == ()
    assert [b.topic for b in result.summary.bad_records] == ["dead-letters"]
    assert result.summary.dead_letters == {}
    assert CHANGELOG in result.summary.records  # the dead letters are reported apart
    assert "dead-letters" not in result.summary.records
