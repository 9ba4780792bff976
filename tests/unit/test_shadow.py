"""Shadow replay without Kafka: decisions made again in memory, matched with the log's by id."""

from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from aiokafka import ConsumerRecord
from builders import T0, at, line, order, order_placed
from pydantic import BaseModel

from eventcollab.agents import payments as payments_service
from eventcollab.codec import encode
from eventcollab.domain import payments
from eventcollab.models import Event, OrderPlaced, StockUnavailable
from eventcollab.replay import shadow
from eventcollab.replay.shadow_fold import ShadowFold
from eventcollab.replay.shadow_run import (
    Comparison,
    LogOutputs,
    Selection,
    ShadowCheckpoint,
    time_ordered,
)
from eventcollab.settings import Settings
from eventcollab.topics import declare

Record = ConsumerRecord[bytes, bytes]
DEFAULT = Decimal("5000.00")


def record(topic: str, value: BaseModel, key: str, offset: int = 0) -> Record:
    raw = encode(value)
    return ConsumerRecord(topic, 0, offset, 0, 0, key.encode(), raw, None, len(key), len(raw), ())


def output(event: Event) -> shadow.Output:
    return shadow.output_of(encode(event))


def placed_for(total: str) -> OrderPlaced:
    return order_placed(order(line("TV", 1, total)))


# --- matching, pure ---


def test_the_same_decision_under_the_same_id_is_no_difference_whenever_it_was_made() -> None:
    placed = placed_for("50.00")
    (then,) = payments.decide(None, placed, DEFAULT, at(1)).events
    (now,) = payments.decide(None, placed, DEFAULT, at(99)).events

    assert shadow.differences([output(now)], [output(then)], {then.event_id: output(then)}) == ()


def test_a_decision_changed_is_one_not_published_and_one_published() -> None:
    placed = placed_for("500.00")
    (then,) = payments.decide(None, placed, DEFAULT, T0).events
    (now,) = payments.decide(None, placed, Decimal("100"), T0).events

    found = shadow.differences([output(now)], [output(then)], {then.event_id: output(then)})

    assert [(d.change, d.kind, d.output_id) for d in found] == [
        ("would not publish", "PaymentAuthorized", then.event_id),
        ("would publish", "PaymentDeclined", now.event_id),
    ]


def test_the_same_id_with_other_fields_is_published_differently_field_by_field() -> None:
    placed = placed_for("6000.00")
    (then,) = payments.decide(None, placed, DEFAULT, at(1)).events
    (now,) = payments.decide(None, placed, Decimal("100"), at(2)).events

    (found,) = shadow.differences([output(now)], [output(then)], {then.event_id: output(then)})

    assert found.change == "would publish differently"
    assert [(f.field, f.logged, f.now) for f in found.fields] == [
        (
            "reason",
            "order total 6000.00 exceeds the payment limit 5000.00",
            "order total 6000.00 exceeds the payment limit 100",
        )
    ]
    assert shadow.difference_line(found).endswith(
        "differently: reason 'order total 6000.00 exceeds the payment limit 5000.00' -> "
        "'order total 6000.00 exceeds the payment limit 100'"
    )


# --- the real handler over records, state folded in memory ---


def comparison(tmp_path: Path, limit: str, log: list[Record], chosen: Selection) -> Comparison:
    settings = Settings(payment_limit=Decimal(limit))
    (spec,) = payments_service.processors(settings, declare(settings))
    on_log = LogOutputs()
    for written in log:
        on_log.add("payments", written, commands=False)
    return Comparison(spec, chosen, ShadowCheckpoint(tmp_path / "shadow.json"), on_log)


def history(*totals: str) -> tuple[list[Record], list[Record]]:
    """(inputs, payments' outputs) as the worker with the default limit logged them: each
    order placed, then stock found short for it (a refund follows an authorization)."""
    inputs, outputs = [], []
    for n, total in enumerate(totals):
        placed = placed_for(total)
        decided = payments.decide(None, placed, DEFAULT, at(n))
        short = StockUnavailable(
            event_id=uuid4(),
            correlation_id=placed.correlation_id,
            causation_id=uuid4(),
            occurred_at=at(100 + n),
            producer="inventory",
            order=placed.order,
            sku="TV",
            requested=1,
            available=0,
        )
        refund = payments.decide(decided.state, short, DEFAULT, at(101 + n)).events
        inputs += [record("orders", placed, placed.correlation_id, n)]
        inputs += [record("inventory", short, placed.correlation_id, n)]
        outputs += [record("payments", e, e.correlation_id) for e in (*decided.events, *refund)]
    return inputs, outputs


def test_a_lower_limit_reports_the_orders_it_declines_now_and_what_follows_from_it(
    tmp_path: Path,
) -> None:
    inputs, outputs = history("50.00", "500.00", "6000.00")
    run = comparison(tmp_path, "100", outputs, Selection())
    for each in inputs:
        run.step(each)

    middle, high = inputs[2].key.decode(), inputs[4].key.decode()
    by_workflow = {
        cid: [f for f in run.kept.findings if f.correlation_id == cid] for cid in (middle, high)
    }
    assert {f.correlation_id for f in run.kept.findings} == {middle, high}
    first, then = sorted(by_workflow[middle], key=lambda f: f.occurred_at)
    assert [(d.change, d.kind) for d in first.differences] == [
        ("would not publish", "PaymentAuthorized"),
        ("would publish", "PaymentDeclined"),
    ]
    # Declined now, nothing is charged: the refund of the log would not be made either.
    assert [(d.change, d.kind) for d in then.differences] == [
        ("would not publish", "PaymentRefunded")
    ]
    # Declined then and now, but the reason published names the limit.
    ((declined,),) = [f.differences for f in by_workflow[high]]
    assert (declined.change, [f.field for f in declined.fields]) == (
        "would publish differently",
        ["reason"],
    )
    counts = run.kept.tally.counts
    assert (counts["read"], counts["compared"], counts["identical"], counts["different"]) == (
        6,
        6,
        3,
        3,
    )
    lines = shadow.report(run.kept.findings)
    at_middle = lines.index(middle)
    assert lines[at_middle + 1].startswith(
        f"  {first.occurred_at.isoformat(timespec='milliseconds')}  OrderPlaced"
    )
    assert lines[at_middle + 4].endswith("(after an earlier difference)")
    assert shadow.summary(counts) == [
        "inputs read 6, compared 6: identical 3, different 3",
        "differences: would not publish 2, would publish 1, would publish differently 1",
    ]


def test_the_limit_of_the_log_finds_nothing_and_an_input_logged_twice_is_compared_once(
    tmp_path: Path,
) -> None:
    inputs, outputs = history("50.00", "500.00", "6000.00")
    run = comparison(tmp_path, "5000.00", outputs, Selection())
    for each in [*inputs, inputs[2]]:
        run.step(each)

    assert run.kept.findings == []
    assert run.kept.tally.counts["compared"] == 6 and run.kept.tally.counts["read"] == 7


def test_the_selection_compares_some_inputs_but_the_state_is_folded_from_all(
    tmp_path: Path,
) -> None:
    inputs, outputs = history("500.00", "700.00")
    second = inputs[2].key.decode()
    run = comparison(tmp_path, "100", outputs, Selection(since=at(101)))
    for each in inputs:
        run.step(each)

    # Only the second order's StockUnavailable (at 101) is compared; the fold of its
    # OrderPlaced (declined now) is why no refund would be made.
    (finding,) = run.kept.findings
    assert (finding.correlation_id, finding.input_kind) == (second, "StockUnavailable")
    assert run.kept.tally.counts["compared"] == 1
    by_id = comparison(tmp_path, "100", outputs, Selection(ids=frozenset({second})))
    for each in inputs:
        by_id.step(each)
    assert {f.correlation_id for f in by_id.kept.findings} == {second}


def test_a_checkpoint_keeps_the_state_findings_and_counts_of_the_replay_so_far(
    tmp_path: Path,
) -> None:
    inputs, outputs = history("500.00", "700.00")
    whole = comparison(tmp_path / "whole", "100", outputs, Selection())
    for each in inputs:
        whole.step(each)
    halves = comparison(tmp_path, "100", outputs, Selection())
    for each in inputs[:3]:
        halves.step(each)
        halves.kept.finished(each)
    halves.kept.save()

    resumed = comparison(tmp_path, "100", outputs, Selection())
    assert resumed.kept.resumed
    for each in inputs[3:]:
        resumed.step(each)
    assert shadow.report(resumed.kept.findings) == shadow.report(whole.kept.findings)
    assert resumed.kept.tally.counts == whole.kept.tally.counts


def test_a_handler_that_raises_decides_nothing_and_keeps_no_state() -> None:
    def failing(work: object, record: Record) -> None:
        raise RuntimeError("a bug")

    fold = ShadowFold(failing)
    placed = placed_for("50.00")
    decided = fold.decide(record("orders", placed, placed.correlation_id))

    assert decided.failed and decided.outputs == ()
    assert fold.store.partitions == {}


def test_the_log_is_read_each_partition_in_order_and_the_partitions_merged_by_time() -> None:
    def at_time(topic: str, offset: int, timestamp: int) -> Record:
        return ConsumerRecord(topic, 0, offset, timestamp, 0, b"k", b"v", None, 1, 1, ())

    placed = [at_time("orders", 0, 10), at_time("orders", 1, 30), at_time("orders", 2, 25)]
    short = [at_time("inventory", 0, 20), at_time("inventory", 1, 40)]

    merged = time_ordered([*short, *reversed(placed)])

    assert [(r.topic, r.offset) for r in merged] == [
        ("orders", 0),
        ("inventory", 0),
        ("orders", 1),
        ("orders", 2),  # after its partition's record before it, whatever its time
        ("inventory", 1),
    ]
    # What is left after a checkpoint merges into the rest of the whole.
    assert time_ordered([placed[1], placed[2], short[1]]) == merged[2:]
