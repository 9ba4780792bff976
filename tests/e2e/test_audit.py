"""`eventcollab audit` on the real broker: each anomaly kind planted in fresh topics, then found.

Each test creates its own topics (a fresh prefix and app id), writes a planted log with a plain
producer, keyed as the services key it, and runs the same function as the `audit` command.
"""

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from eventcollab import workflow
from eventcollab.audit.command import audit_and_report
from eventcollab.audit.log import changelog_topic, stock_commands_topic, workflow_topics
from eventcollab.codec import encode
from eventcollab.domain import follow_up, inventory
from eventcollab.models import (
    AddStock,
    Event,
    OrderCancelled,
    OrderCancelling,
    PaymentAuthorized,
    PaymentRefunded,
    PaymentVoided,
    ReserveStock,
    ShipmentScheduled,
    StockCommand,
    StockReleased,
)
from eventcollab.settings import Settings
from eventcollab.topics import WORKFLOW_TOPICS
from tests.e2e.harness import BOOTSTRAP, BROKER
from tests.unit.builders import T0, cancelled_path, happy_path, out_of_stock_path, timed_out_path

# Fixed, never taken from the caller's EVENTCOLLAB_* variables: the local broker of scripts/broker.
TOPIC_OF = {kind: spec.name for spec in WORKFLOW_TOPICS for kind in spec.carries}


@dataclass
class Scenario:
    """A planted log: events, stock commands, and the tracker's states (None: its fold)."""

    events: list[Event]
    commands: list[StockCommand] = field(default_factory=list)
    tracker: dict[str, workflow.WorkflowState] | None = None
    extra: list[tuple[str, str, bytes | None]] = field(default_factory=list)  # topic role, key

    @property
    def cid(self) -> str:
        return self.events[0].correlation_id

    def of(self, kind: type[Any]) -> Any:
        return next(e for e in self.events if isinstance(e, kind))

    def replace(self, old: Event, new: Event) -> None:
        self.events[self.events.index(old)] = new

    def states(self) -> dict[str, workflow.WorkflowState]:
        if self.tracker is not None:
            return self.tracker
        folded: dict[str, workflow.WorkflowState] = {}
        for event in self.events:
            state = workflow.apply(folded.get(event.correlation_id), event)
            folded[event.correlation_id] = state or folded[event.correlation_id]
        return folded


def completed() -> Scenario:
    """OrderPlaced .. OrderCompleted for one PEN, with its restock and reservation command."""
    events = happy_path()
    reserve = inventory.start_reservation(events[1])
    restock = AddStock(command_id=uuid4(), sku=reserve.sku, quantity=reserve.line.quantity)
    return Scenario(events, [restock, reserve])


def cancelled() -> Scenario:
    """No stock at all: the reservation is refused, the payment refunded, the order cancelled."""
    events = out_of_stock_path()
    return Scenario(events, [inventory.start_reservation(events[1])])


def timed_out() -> Scenario:
    """Shipping missed its deadline: refunded, stock withdrawn, cancelled; a late shipment is
    cancelled by shipping."""
    events = timed_out_path()
    paid = next(e for e in events if isinstance(e, PaymentAuthorized))
    cancelling = next(e for e in events if isinstance(e, OrderCancelling))
    reserve = inventory.start_reservation(paid)
    restock = AddStock(command_id=uuid4(), sku=reserve.sku, quantity=reserve.line.quantity)
    return Scenario(events, [restock, reserve, inventory.start_withdrawal(cancelling)])


def uncompensated() -> Scenario:
    """A cancelled order whose authorized payment was voided instead of refunded."""
    log = Scenario(cancelled_path())
    refunded = log.of(PaymentRefunded)
    voided = PaymentVoided(
        **refunded.model_dump(exclude={"event_type", "payment_id", "amount", "reason"}),
        reason="a planted bug",
    )
    log.replace(refunded, voided)
    return log


def another(event: Event, **changes: Any) -> Any:
    """The same event published again under a new id: a second decision, not a re-delivery."""
    return event.model_copy(update={"event_id": uuid4(), **changes})


def orphan_cause() -> Scenario:
    log = completed()
    scheduled = log.of(ShipmentScheduled)
    log.replace(scheduled, scheduled.model_copy(update={"causation_id": uuid4()}))
    return log


def no_outcome() -> Scenario:
    return Scenario(completed().events[:2])  # placed in 2024 and paid, then nothing


def two_outcomes() -> Scenario:
    log = completed()
    scheduled = log.of(ShipmentScheduled)
    log.events.append(follow_up(scheduled, OrderCancelled, "orders", T0, reason="changed mind"))
    return log


def two_payments() -> Scenario:
    log = completed()
    log.events.append(another(log.of(PaymentAuthorized), payment_id=uuid4()))
    return log


def two_reservations() -> Scenario:
    log = completed()
    reserve = next(c for c in log.commands if isinstance(c, ReserveStock))
    log.commands.append(reserve.model_copy(update={"command_id": uuid4()}))
    return log


def two_refunds() -> Scenario:
    log = cancelled()
    log.events.append(another(log.of(PaymentRefunded)))
    return log


def two_shipments() -> Scenario:
    log = completed()
    log.events.append(another(log.of(ShipmentScheduled), shipment_id=uuid4()))
    return log


def unmatched_refund() -> Scenario:
    log = cancelled()
    refunded = log.of(PaymentRefunded)
    # The right payment, a wrong amount: the payment itself counts as refunded.
    log.replace(refunded, refunded.model_copy(update={"amount": refunded.amount + 1}))
    return log


def unmatched_release() -> Scenario:
    log = cancelled()  # the only line was refused: nothing was ever held
    paid = log.of(PaymentAuthorized)
    log.events.append(follow_up(paid, StockReleased, "inventory", T0, lines=paid.order.lines))
    return log


def negative_stock() -> Scenario:
    log = completed()
    log.commands = log.commands[1:]  # reserved and shipped, but never restocked
    return log


def tracker_mismatch() -> Scenario:
    log = completed()
    state = log.states()[log.cid]
    stale = state.model_copy(update={"status": "in_progress", "timeline": state.timeline[:-1]})
    log.tracker = {log.cid: stale}
    return log


PLANTED: dict[str, Callable[[], Scenario]] = {
    "orphan-cause": orphan_cause,
    "no-outcome": no_outcome,
    "two-outcomes": two_outcomes,
    "two-payments": two_payments,
    "two-reservations": two_reservations,
    "two-refunds": two_refunds,
    "two-shipments": two_shipments,
    "unmatched-refund": unmatched_refund,
    "unmatched-release": unmatched_release,
    "negative-stock": negative_stock,
    "uncompensated": uncompensated,
    "tracker-mismatch": tracker_mismatch,
}


def explicit_settings(run: str) -> Settings:
    """Every field given, so that no EVENTCOLLAB_* variable of the caller's shell leaks in."""
    defaults = {name: spec.default for name, spec in Settings.model_fields.items()}
    overrides = {"broker": BROKER, "app_id": run, "topic_prefix": f"{run}-", "partitions": 3}
    return Settings(**{**defaults, **overrides})


@pytest.fixture
async def fresh() -> AsyncIterator[Settings]:
    """Settings of a fresh namespace whose topics exist, as the services declare them."""
    settings = explicit_settings(f"audit-{uuid4().hex}")
    compacted = {"cleanup.policy": "compact"}
    topics = [
        *(NewTopic(name, settings.partitions, 1) for name in workflow_topics(settings)),
        NewTopic(stock_commands_topic(settings), settings.partitions, 1),
        NewTopic(changelog_topic(settings), settings.partitions, 1, topic_configs=compacted),
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics(topics)
        yield settings
        await admin.delete_topics([topic.name for topic in topics])
    finally:
        await admin.close()


async def write(settings: Settings, log: Scenario) -> None:
    """Every record keyed as its writer keys it: correlation id, SKU, `workflows/<id>`."""
    changelog = [(f"workflows/{cid}", encode(s)) for cid, s in log.states().items()]
    records = [
        *[
            (settings.topic_name(TOPIC_OF[e.event_type]), e.correlation_id, encode(e))
            for e in log.events
        ],
        *[(stock_commands_topic(settings), c.sku, encode(c)) for c in log.commands],
        *[(changelog_topic(settings), key, value) for key, value in changelog],
        *[(settings.topic_name(role), key, value) for role, key, value in log.extra],
    ]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        for topic, key, value in records:
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


@dataclass
class Outcome:
    exit_code: int
    report: dict[str, Any]
    text: str

    def anomalies(self) -> set[tuple[str, str]]:
        return {(a["kind"], a["correlation_id"]) for a in self.report["anomalies"]}


async def audited(settings: Settings, tmp_path: Path) -> Outcome:
    """Run the audit command's function; its exit code is 0 unless it raised SystemExit."""
    path, said = tmp_path / "audit.json", []
    try:
        await audit_and_report(settings, 60.0, path, said.append)
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    return Outcome(code, json.loads(path.read_text()), "\n".join(said))


@pytest.mark.parametrize("kind", list(PLANTED))
async def test_a_planted_anomaly_is_reported_and_fails_the_audit(
    kind: str, fresh: Settings, tmp_path: Path
) -> None:
    log = PLANTED[kind]()
    await write(fresh, log)

    outcome = await audited(fresh, tmp_path)

    assert outcome.exit_code == 1
    assert outcome.anomalies() == {(kind, log.cid)}, outcome.text
    assert any(row.split()[:2] == [kind, log.cid] for row in outcome.text.splitlines())


async def test_a_clean_log_passes_the_audit(fresh: Settings, tmp_path: Path) -> None:
    log = completed()
    await write(fresh, log)

    outcome = await audited(fresh, tmp_path)

    assert (outcome.exit_code, outcome.report["anomalies"]) == (0, []), outcome.text
    summary = outcome.report["summary"]
    assert summary["workflows"] == {
        "in_progress": 0,
        "compensating": 0,
        "completed": 1,
        "rejected": 0,
        "cancelled": 0,
    }
    records = {name.removeprefix(fresh.topic_prefix): n for name, n in summary["records"].items()}
    assert records == {
        "orders": 2,
        "payments": 1,
        "inventory": 1,
        "shipments": 1,
        "deadlines": 0,
        "cancellations": 0,
        "stock-commands": 2,
        f"{fresh.app_id}-tracker-changelog": 1,
    }


async def test_a_timed_out_order_compensated_with_a_late_shipment_passes_the_audit(
    fresh: Settings, tmp_path: Path
) -> None:
    log = timed_out()
    await write(fresh, log)

    outcome = await audited(fresh, tmp_path)

    assert (outcome.exit_code, outcome.report["anomalies"]) == (0, []), outcome.text
    assert outcome.report["summary"]["workflows"]["cancelled"] == 1
    assert outcome.report["summary"]["timed_out"] == {"shipping: schedule the shipment": 1}
    assert "timed out    1 (orders cancelled at a deadline)" in outcome.text


async def test_duplicates_and_bad_records_are_counted_not_failed(
    fresh: Settings, tmp_path: Path
) -> None:
    log = completed()
    log.events.append(log.of(PaymentAuthorized))  # delivered twice: at least once
    log.extra = [("orders", log.cid, b"not json"), ("stock-commands", "PEN", None)]
    await write(fresh, log)

    outcome = await audited(fresh, tmp_path)

    assert outcome.exit_code == 0, outcome.text
    summary = outcome.report["summary"]
    assert summary["duplicates"] == {"events": 1, "commands": 0}
    bad = summary["bad_records"]
    assert [b["topic"] for b in bad] == [
        fresh.topic_name("orders"),
        fresh.topic_name("stock-commands"),
    ]
    assert "Invalid JSON" in bad[0]["error"]
    assert bad[1]["error"] == "null value"


async def test_missing_topics_count_as_empty_and_stay_missing(tmp_path: Path) -> None:
    settings = explicit_settings(f"audit-{uuid4().hex}")

    outcome = await audited(settings, tmp_path)

    assert outcome.exit_code == 0
    assert set(outcome.report["summary"]["records"].values()) == {0}
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        assert not [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        await admin.close()
