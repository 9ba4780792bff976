"""The audit's checks: pure functions of the decoded log and of the time the audit calls now."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import get_args

from eventcollab import workflow
from eventcollab.audit.chain import (
    StockReplay,
    chain_of,
    doubled_reservations,
    negative_stock,
    replayed,
    unmatched_releases,
)
from eventcollab.audit.decoded import Decoded, decode
from eventcollab.audit.model import (
    KINDS,
    NO_OUTCOME,
    ORPHAN_CAUSE,
    TWO_OUTCOMES,
    TWO_PAYMENTS,
    TWO_REFUNDS,
    TWO_SHIPMENTS,
    UNCOMPENSATED,
    UNMATCHED_REFUND,
    Anomaly,
    Audit,
    AuditLog,
    Summary,
)
from eventcollab.audit.tracker import fold, tracker_mismatches
from eventcollab.dead_letter import tally
from eventcollab.models import (
    CancelRequested,
    Event,
    OrderPlaced,
    PaymentAuthorized,
    PaymentRefunded,
    ShipmentCancelled,
    ShipmentScheduled,
)
from eventcollab.records import REFUSAL_KINDS
from eventcollab.workflow import WorkflowState

DEFAULT_GRACE = timedelta(seconds=60)

# Effects that a workflow has at most once, whatever the delivery: (kind, event types, what).
ONCE_PER_WORKFLOW = (
    (TWO_OUTCOMES, tuple(workflow.OUTCOMES), "outcomes"),
    (TWO_PAYMENTS, ("PaymentAuthorized", "PaymentDeclined"), "payment decisions"),
    (TWO_REFUNDS, ("PaymentRefunded",), "refunds"),
    (TWO_SHIPMENTS, ("ShipmentScheduled",), "shipments"),
)


def audit(
    log: AuditLog, now: datetime, grace: timedelta = DEFAULT_GRACE, limit: datetime | None = None
) -> Audit:
    """Every anomaly of the log; `now` dates the orders still without outcome (naive: UTC);
    `limit` is the state retention's horizon, past which the tracker lets finished workflows go
    (None: it keeps them all)."""
    decoded = decode(log)
    workflows = by_workflow(decoded.events)
    folded = {cid: fold(events) for cid, events in workflows.items()}
    chain = chain_of(decoded.events, decoded.commands)
    stock = replayed(decoded.commands, chain)
    anomalies = [
        *orphan_causes(decoded.events),
        *missing_outcomes(workflows, folded, now, grace, set_aside(decoded)),
        *doubled_effects(workflows),
        *doubled_reservations(chain),
        *unmatched_refunds(workflows),
        *unmatched_releases(decoded.events, decoded.commands, chain),
        *negative_stock(stock),
        *uncompensated(workflows, folded, stock),
        *tracker_mismatches(folded, decoded.tracker, limit),
    ]
    ordered = sorted(anomalies, key=lambda a: (KINDS.index(a.kind), a.correlation_id, a.message))
    return Audit(summary(log, decoded, folded), tuple(ordered))


def by_workflow(events: Iterable[Event]) -> dict[str, list[Event]]:
    workflows: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        workflows[event.correlation_id].append(event)
    return dict(workflows)


def orphan_causes(events: Sequence[Event]) -> list[Anomaly]:
    """Events whose cause is on no workflow topic, or belongs to another workflow."""
    workflow_of = {event.event_id: event.correlation_id for event in events}
    found: list[Anomaly] = []
    for event in events:
        cause, name = event.causation_id, f"{event.event_type} {event.event_id}"
        if cause is None and not isinstance(event, OrderPlaced | CancelRequested):
            found.append(Anomaly(ORPHAN_CAUSE, event.correlation_id, f"{name} has no cause"))
        elif cause is not None and cause not in workflow_of:
            message = f"{name} caused by {cause}, which is on no workflow topic"
            found.append(Anomaly(ORPHAN_CAUSE, event.correlation_id, message))
        elif cause is not None and workflow_of[cause] != event.correlation_id:
            message = f"{name} caused by {cause} of workflow {workflow_of[cause]}"
            found.append(Anomaly(ORPHAN_CAUSE, event.correlation_id, message))
    return found


def set_aside(decoded: Decoded) -> set[str]:
    """Workflows of which a service dead-lettered a valid record after its handler kept failing:
    that they have no outcome is reported with the dead letter, not as an anomaly. (A refused
    record is a bad record here as well, and never part of a workflow.)"""
    return {
        cid
        for letter in decoded.dead_letters
        if letter.error_type not in REFUSAL_KINDS and (cid := letter.correlation_id) is not None
    }


def missing_outcomes(
    workflows: Mapping[str, list[Event]],
    folded: Mapping[str, WorkflowState],
    now: datetime,
    grace: timedelta,
    excused: set[str],
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for cid, events in workflows.items():
        placed = [utc(e.occurred_at) for e in events if isinstance(e, OrderPlaced)]
        if not placed or folded[cid].status in workflow.TERMINAL or utc(now) - min(placed) <= grace:
            continue
        if cid in excused:
            continue
        step = folded[cid].waiting_for
        waiting = f"{step.service}: {step.action}" if step else "-"
        age = int((utc(now) - min(placed)).total_seconds())
        message = f"placed {age} s ago, no outcome yet (waiting for {waiting})"
        found.append(Anomaly(NO_OUTCOME, cid, message))
    return found


def doubled_effects(workflows: Mapping[str, list[Event]]) -> list[Anomaly]:
    """Distinct event ids for an effect a workflow has once: events are already one per id."""
    found: list[Anomaly] = []
    for cid, events in workflows.items():
        for kind, types, what in ONCE_PER_WORKFLOW:
            effects = [e for e in events if e.event_type in types]
            if len(effects) > 1:
                listed = ", ".join(f"{e.event_type} {e.event_id}" for e in effects)
                found.append(Anomaly(kind, cid, f"{len(effects)} {what}: {listed}"))
    return found


def unmatched_refunds(workflows: Mapping[str, list[Event]]) -> list[Anomaly]:
    found: list[Anomaly] = []
    for cid, events in workflows.items():
        paid = {(e.payment_id, e.amount) for e in events if isinstance(e, PaymentAuthorized)}
        for refund in (e for e in events if isinstance(e, PaymentRefunded)):
            if (refund.payment_id, refund.amount) not in paid:
                message = (
                    f"PaymentRefunded {refund.event_id} of {refund.amount} for payment "
                    f"{refund.payment_id}: no such payment authorized for this order"
                )
                found.append(Anomaly(UNMATCHED_REFUND, cid, message))
    return found


def uncompensated(
    workflows: Mapping[str, list[Event]], folded: Mapping[str, WorkflowState], stock: StockReplay
) -> list[Anomaly]:
    """Cancelled orders that keep an effect: a payment not refunded, stock still reserved, a
    shipment not cancelled (a cancelled order undoes each, late ones included)."""
    held = stock.held()
    found: list[Anomaly] = []
    for cid, events in workflows.items():
        if folded[cid].status != "cancelled":
            continue
        kept = [f"stock of {', '.join(sorted(held[cid]))}"] if cid in held else []
        refunded = {e.payment_id for e in events if isinstance(e, PaymentRefunded)}
        kept += [
            f"payment {e.payment_id}"
            for e in events
            if isinstance(e, PaymentAuthorized) and e.payment_id not in refunded
        ]
        unshipped = {e.shipment_id for e in events if isinstance(e, ShipmentCancelled)}
        kept += [
            f"shipment {e.shipment_id}"
            for e in events
            if isinstance(e, ShipmentScheduled) and e.shipment_id not in unshipped
        ]
        if kept:
            found.append(Anomaly(UNCOMPENSATED, cid, f"cancelled, still holds {'; '.join(kept)}"))
    return found


def summary(log: AuditLog, decoded: Decoded, folded: Mapping[str, WorkflowState]) -> Summary:
    statuses = Counter(state.status for state in folded.values())
    records = Counter(r.topic for r in (*log.workflow, *log.stock_commands, *log.changelog))
    return Summary(
        workflows={status: statuses[status] for status in get_args(workflow.Status)},
        records={topic: records[topic] for topic in log.topics},
        duplicate_events=decoded.duplicate_events,
        duplicate_commands=decoded.duplicate_commands,
        bad_records=decoded.bad_records,
        dead_letters=tally(decoded.dead_letters),
        timed_out=dict(Counter(s.timed_out for s in folded.values() if s.timed_out is not None)),
    )


def utc(moment: datetime) -> datetime:
    # A time without a zone is taken as UTC, the zone every producer writes: comparing a naive
    # time with an aware one would raise.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
