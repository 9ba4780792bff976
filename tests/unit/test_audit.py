"""The audit's pure checks, on logs planted record by record: one anomaly kind per test.

`Planted` plays the services with their real pure decisions (payments, the inventory chain,
shipping, orders), so a planted log is what a deployment writes; each test then breaks it in one
place and expects exactly that anomaly.
"""

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from builders import LIMIT, T0, at, line, order, order_placed

from eventcollab import workflow
from eventcollab.audit import checks
from eventcollab.audit.command import install_audit_command
from eventcollab.audit.model import Audit, AuditLog, Record
from eventcollab.audit.report import as_json, render_text
from eventcollab.codec import encode
from eventcollab.domain import follow_up, inventory, orders, payments, shipping
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.models import (
    AddStock,
    Event,
    OrderCancelled,
    OrderCompleted,
    OrderLine,
    OrderPlaced,
    PaymentAuthorized,
    PaymentDeclined,
    PaymentRefunded,
    ReleaseStock,
    ReserveStock,
    ShipmentScheduled,
    Shortage,
    StockCommand,
    StockReleased,
    StockReserved,
    StockUnavailable,
    derived_id,
)
from eventcollab.settings import Settings
from eventcollab.topics import STOCK_COMMANDS, WORKFLOW_TOPICS

CHANGELOG = "eventcollab-tracker-changelog"
TOPIC_OF = {kind: spec.name for spec in WORKFLOW_TOPICS for kind in spec.carries}
LATER = T0 + timedelta(hours=1)  # "now" for the audit: every planted order is past its grace


Row = tuple[str, str | None, bytes | None]  # topic, key, value


@dataclass
class Planted:
    """A log in the making: events, stock commands (restocks first) and the tracker's states."""

    events: list[Event] = field(default_factory=list)
    commands: list[StockCommand] = field(default_factory=list)
    levels: dict[str, StockLevel] = field(default_factory=dict)
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    extra: list[Row] = field(default_factory=list)  # raw records after the others, bad ones too

    def restock(self, sku: str, quantity: int) -> None:
        self.run_commands(AddStock(command_id=uuid4(), sku=sku, quantity=quantity))

    def order(self, *lines: OrderLine) -> str:
        """Place an order and play every service until the workflow ends; its correlation id."""
        placed = order_placed(order(*lines), at(0))
        payment = payments.decide(None, placed, LIMIT, at(1))
        self.events += [placed, *payment.events]
        (decision,) = payment.events
        if isinstance(decision, PaymentDeclined):
            self.events += orders.decide(None, decision, at(2)).events
        if isinstance(decision, PaymentAuthorized):
            self.run_commands(inventory.start_reservation(decision))
            self.conclude(self.events[-1], payment.state)  # StockReserved or StockUnavailable
        return placed.correlation_id

    def run_commands(self, first: StockCommand) -> None:
        """The stock agent: each command with its SKU's level and ledger entry, in turn."""
        pending = deque([first])
        while pending:
            command = pending.popleft()
            key = inventory.ledger_key(command)
            done = inventory.apply(
                self.levels.get(command.sku), self.ledger.get(key), command, at(2)
            )
            if done.level is not None:
                self.levels[command.sku] = done.level
            if done.entry is not None:
                self.ledger[key] = done.entry
            self.commands.append(command)
            pending.extend(done.commands)
            self.events += done.events

    def conclude(self, stock_outcome: Event, payment: payments.Payment | None) -> None:
        if isinstance(stock_outcome, StockReserved):
            (scheduled,) = shipping.decide(None, stock_outcome, at(3)).events
            self.events += [scheduled, *orders.decide(None, scheduled, at(4)).events]
        if isinstance(stock_outcome, StockUnavailable):
            (refunded,) = payments.decide(payment, stock_outcome, LIMIT, at(3)).events
            self.events += [refunded, *orders.decide(None, refunded, at(4)).events]

    def of(self, correlation_id: str, kind: type[Any]) -> Any:
        return next(
            e for e in self.events if e.correlation_id == correlation_id and isinstance(e, kind)
        )

    def of_command(self, kind: type[Any]) -> Any:
        return next(c for c in self.commands if isinstance(c, kind))

    def replace(self, old: Event, new: Event) -> None:
        self.events[self.events.index(old)] = new

    def tracker(self) -> dict[str, workflow.WorkflowState]:
        """What the tracker stores after folding every planted event."""
        states: dict[str, workflow.WorkflowState] = {}
        for event in self.events:
            state = workflow.apply(states.get(event.correlation_id), event)
            states[event.correlation_id] = state or states[event.correlation_id]
        return states

    def log(self, tracker: dict[str, workflow.WorkflowState] | None = None) -> AuditLog:
        states = self.tracker() if tracker is None else tracker
        return log_of(
            [
                *[(TOPIC_OF[e.event_type], e.correlation_id, encode(e)) for e in self.events],
                *[(STOCK_COMMANDS.name, c.sku, encode(c)) for c in self.commands],
                *[(CHANGELOG, f"workflows/{cid}", encode(s)) for cid, s in states.items()],
                *self.extra,
            ]
        )


def log_of(rows: list[Row]) -> AuditLog:
    """The rows as records on partition 0 of their topics, at offsets in the order given."""
    offsets: dict[str, int] = {}
    records = []
    for topic, key, value in rows:
        offsets[topic] = offsets.get(topic, -1) + 1
        raw_key = None if key is None else key.encode()
        records.append(Record(topic, 0, offsets[topic], raw_key, value, timestamp=0))
    workflow_names = [spec.name for spec in WORKFLOW_TOPICS]
    return AuditLog(
        workflow=tuple(r for r in records if r.topic in workflow_names),
        stock_commands=tuple(r for r in records if r.topic == STOCK_COMMANDS.name),
        changelog=tuple(r for r in records if r.topic == CHANGELOG),
        topics=(*workflow_names, STOCK_COMMANDS.name, CHANGELOG),
    )


def explicit_settings() -> Settings:
    """Every field given, so that no EVENTCOLLAB_* variable of the caller's shell leaks in."""
    return Settings(**{name: spec.default for name, spec in Settings.model_fields.items()})


def audit(log: AuditLog, now: datetime = LATER) -> Audit:
    return checks.audit(log, now=now)


def found(result: Audit) -> set[tuple[str, str]]:
    return {(a.kind, a.correlation_id) for a in result.anomalies}


def another(event: Event, **changes: Any) -> Any:
    """The same event published again under a new id: a second decision, not a re-delivery."""
    return event.model_copy(update={"event_id": uuid4(), **changes})


def test_clean_workflows_of_every_outcome_have_no_anomaly() -> None:
    log = Planted()
    log.restock("PEN", 5)
    log.restock("INK", 1)
    done = log.order(line("PEN", 2), line("INK", 1))
    short = log.order(line("PEN", 1), line("INK", 1))  # INK is gone: PEN released, refunded
    rejected = log.order(line("TV", 1, "999999.00"))

    result = audit(log.log())

    assert result.anomalies == ()
    assert result.exit_code == 0
    assert {log.tracker()[cid].status for cid in (done, short, rejected)} == {
        "completed",
        "cancelled",
        "rejected",
    }
    assert any(isinstance(e, StockReleased) for e in log.events)
    summary = result.summary
    assert summary.workflows == {
        "in_progress": 0,
        "compensating": 0,
        "completed": 1,
        "rejected": 1,
        "cancelled": 1,
    }
    assert summary.records == {
        "orders": 6,
        "payments": 4,
        "inventory": 3,
        "shipments": 1,
        "deadlines": 0,
        "cancellations": 0,
        "stock-commands": 7,
        CHANGELOG: 3,
    }
    assert (summary.duplicate_events, summary.duplicate_commands, summary.bad_records) == (0, 0, ())


def test_re_delivered_events_and_commands_are_duplicates_not_anomalies() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    log.events.append(log.of(cid, PaymentAuthorized).model_copy(update={"occurred_at": at(9)}))
    log.commands.append(log.commands[-1])

    result = audit(log.log())

    assert result.anomalies == ()
    assert (result.summary.duplicate_events, result.summary.duplicate_commands) == (1, 1)


def test_an_order_placed_again_under_its_idempotency_key_is_a_duplicate_not_an_anomaly() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    placed = log.of(cid, OrderPlaced)
    # A repeated POST publishes the same event id again, stamped later; a racing one with
    # another order under the same key does too. The first on the partition is the order.
    log.events.append(placed.model_copy(update={"occurred_at": at(30)}))
    log.events.append(
        placed.model_copy(update={"occurred_at": at(31), "order": order(line("INK", 3))})
    )

    result = audit(log.log())

    assert result.anomalies == ()
    assert result.summary.duplicate_events == 2
    assert result.summary.workflows["completed"] == 1


def test_bad_records_are_counted_and_listed_never_fatal() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    reserve = log.of_command(ReserveStock)
    beyond_the_order = reserve.model_copy(update={"command_id": uuid4(), "line_index": 3})
    log.extra = [
        ("orders", cid, b"not json"),
        ("payments", cid, b'{"event_type": "PaymentAuthorized"}'),
        ("shipments", cid, None),
        ("stock-commands", "PEN", encode(beyond_the_order)),
        (CHANGELOG, f"workflows/{uuid4()}", b"{}"),
        (CHANGELOG, "tables/other", b"another prefix: not the tracker's, ignored"),
    ]

    result = audit(log.log())

    assert result.anomalies == ()
    bad = result.summary.bad_records
    assert [b.topic for b in bad] == [
        "orders",
        "payments",
        "shipments",
        "stock-commands",
        CHANGELOG,
    ]
    assert "Invalid JSON" in bad[0].error
    assert bad[2].error == "null value"
    assert "line_index 3" in bad[3].error
    assert (bad[0].partition, bad[0].offset) == (0, 2)  # after OrderPlaced and OrderCompleted


@pytest.mark.parametrize("cause", ["unknown", "none", "another workflow's"])
def test_an_event_whose_cause_is_not_on_its_workflow_is_an_orphan(cause: str) -> None:
    log = Planted()
    log.restock("PEN", 2)
    cid = log.order(line("PEN", 1))
    other = log.order(line("PEN", 1))
    causes = {
        "unknown": uuid4(),
        "none": None,
        "another workflow's": log.of(other, StockReserved).event_id,
    }
    scheduled = log.of(cid, ShipmentScheduled)
    log.replace(scheduled, scheduled.model_copy(update={"causation_id": causes[cause]}))

    assert found(audit(log.log())) == {("orphan-cause", cid)}


def test_an_order_past_the_grace_without_outcome_is_reported() -> None:
    log = Planted()
    cid = log.order(line("PEN", 1))  # no stock: the chain ends in a refund ...
    log.events = [e for e in log.events if e.correlation_id == cid][:2]  # ... cut after payment

    assert audit(log.log(), now=T0 + timedelta(seconds=60)).anomalies == ()
    late = audit(log.log(), now=T0 + timedelta(seconds=61))

    assert found(late) == {("no-outcome", cid)}
    assert "waiting for inventory: reserve stock" in late.anomalies[0].message
    shorter = checks.audit(log.log(), now=T0 + timedelta(seconds=11), grace=timedelta(seconds=10))
    assert found(shorter) == {("no-outcome", cid)}


def test_two_outcomes_for_one_order() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    scheduled = log.of(cid, ShipmentScheduled)
    log.events.append(follow_up(scheduled, OrderCancelled, "orders", at(5), reason="changed mind"))

    assert found(audit(log.log())) == {("two-outcomes", cid)}


def test_two_payment_decisions_for_one_order() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    paid = log.of(cid, PaymentAuthorized)
    log.events.append(another(paid, payment_id=uuid4()))

    assert found(audit(log.log())) == {("two-payments", cid)}


def test_two_reservation_commands_for_one_line() -> None:
    log = Planted()
    log.restock("PEN", 5)
    cid = log.order(line("PEN", 1))
    log.commands.append(log.of_command(ReserveStock).model_copy(update={"command_id": uuid4()}))

    assert found(audit(log.log())) == {("two-reservations", cid)}


def test_two_refunds_for_one_order() -> None:
    log = Planted()
    cid = log.order(line("PEN", 1))  # no stock: refunded
    log.events.append(another(log.of(cid, PaymentRefunded)))

    assert found(audit(log.log())) == {("two-refunds", cid)}


def test_a_cancelled_order_that_keeps_its_payment_or_stock_or_shipment() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    paid, shipped = log.of(cid, PaymentAuthorized), log.of(cid, ShipmentScheduled)
    completed = log.of(cid, OrderCompleted)
    cancelled = OrderCancelled(
        **completed.model_dump(exclude={"event_type", "shipment_id"}), reason="a planted bug"
    )
    log.replace(completed, cancelled)

    [anomaly] = [a for a in audit(log.log()).anomalies if a.kind == "uncompensated"]
    assert anomaly.correlation_id == cid
    assert f"payment {paid.payment_id}" in anomaly.message
    assert f"shipment {shipped.shipment_id}" in anomaly.message
    assert "stock of PEN" in anomaly.message


def test_two_shipments_for_one_order() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    log.events.append(another(log.of(cid, ShipmentScheduled), shipment_id=uuid4()))

    assert found(audit(log.log())) == {("two-shipments", cid)}


@pytest.mark.parametrize("change", [{"payment_id": uuid4()}, {"amount": Decimal("0.01")}])
def test_a_refund_of_a_payment_never_authorized(change: dict[str, Any]) -> None:
    log = Planted()
    cid = log.order(line("PEN", 1))
    refunded = log.of(cid, PaymentRefunded)
    log.replace(refunded, refunded.model_copy(update=change))

    # Refunding another payment leaves the order's own payment kept by a cancelled order.
    kept = {("uncompensated", cid)} if "payment_id" in change else set()
    assert found(audit(log.log())) == {("unmatched-refund", cid), *kept}


def test_a_release_of_a_line_never_reserved() -> None:
    log = Planted()
    cid = log.order(line("PEN", 1), line("INK", 1))  # PEN refused: nothing was held
    paid = log.of(cid, PaymentAuthorized)
    shortage = Shortage(line_index=0, sku="PEN", requested=1, available=0)
    release = ReleaseStock(
        command_id=derived_id(paid.event_id, "ReleaseStock/0"),
        sku="PEN",
        cause=paid,
        line_index=0,
        shortage=shortage,
    )
    log.commands.append(release)
    released = follow_up(paid, StockReleased, "inventory", at(2), lines=paid.order.lines[:1])
    log.events.append(released)

    result = audit(log.log())

    assert found(result) == {("unmatched-release", cid)}
    assert len(result.anomalies) == 2  # the command and the event
    assert {"ReleaseStock", "StockReleased"} == {a.message.split()[0] for a in result.anomalies}


def test_reservations_beyond_the_stock_drive_it_below_zero() -> None:
    log = Planted()
    log.restock("PEN", 2)
    log.order(line("PEN", 2))
    log.levels["PEN"] = StockLevel(available=1)  # a keeper that lost its level reserves again
    second = log.order(line("PEN", 1))

    result = audit(log.log())

    assert log.tracker()[second].status == "completed"
    assert found(result) == {("negative-stock", second)}
    assert "PEN at -1" in result.anomalies[0].message


def test_a_refused_reservation_takes_no_stock() -> None:
    log = Planted()
    log.restock("PEN", 1)
    log.order(line("PEN", 2))  # refused: not enough
    log.order(line("PEN", 1))

    assert audit(log.log()).anomalies == ()


def stale(states: dict[str, workflow.WorkflowState], cid: str) -> None:
    state = states[cid]
    states[cid] = state.model_copy(
        update={"status": "in_progress", "timeline": state.timeline[:-1]}
    )


@pytest.mark.parametrize(
    ("plant", "says"),
    [
        (stale, "status in_progress, the events say completed"),
        (lambda states, cid: states.pop(cid), "no state in the tracker"),
        (lambda states, cid: states.update({"ghost": states.pop(cid)}), "no event on the log"),
    ],
)
def test_the_tracker_state_differs_from_the_fold(plant: Any, says: str) -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    states = log.tracker()
    plant(states, cid)

    result = audit(log.log(states))

    assert {a.kind for a in result.anomalies} == {"tracker-mismatch"}
    assert any(says in a.message for a in result.anomalies)


def test_the_latest_changelog_record_of_a_key_wins() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    key, current = f"workflows/{cid}", encode(log.tracker()[cid])
    before = {**log.tracker(), cid: log.tracker()[cid].model_copy(update={"status": "rejected"})}

    assert found(audit(log.log(before))) == {("tracker-mismatch", cid)}
    log.extra = [(CHANGELOG, key, current)]
    assert found(audit(log.log(before))) == set()
    log.extra.append((CHANGELOG, key, None))  # a tombstone: the tracker deleted it
    assert found(audit(log.log(before))) == {("tracker-mismatch", cid)}


def test_the_report_lists_summary_and_anomalies_as_text_and_json() -> None:
    log = Planted()
    cid = log.order(line("PEN", 1))
    log.events.append(another(log.of(cid, PaymentRefunded)))
    result = audit(log.log())

    text = render_text(result)
    as_dict = json.loads(json.dumps(as_json(result)))

    assert (
        "workflows    1 (in_progress 0, compensating 0, completed 0, rejected 0, cancelled 1)"
        in text
    )
    assert any(row.split()[:2] == ["two-refunds", cid] for row in text.splitlines())
    assert as_dict["anomalies"] == [
        {"kind": "two-refunds", "correlation_id": cid, "message": result.anomalies[0].message}
    ]
    assert as_dict["summary"]["workflows"]["cancelled"] == 1
    assert as_dict["summary"]["records"]["payments"] == 3
    assert as_dict["exit_code"] == 1


def test_the_audit_command_is_registered_with_its_options() -> None:
    registered: list[tuple[tuple[Any, ...], Any]] = []

    class App:
        def command(self, *options: Any) -> Any:
            return lambda fun: registered.append((options, fun))

    install_audit_command(App(), explicit_settings())

    ((options, fun),) = registered
    assert fun.__name__ == "audit"
    assert [o.args[0] for o in options] == ["--grace", "--json"]
    assert options[0].kwargs["default"] == 60.0
