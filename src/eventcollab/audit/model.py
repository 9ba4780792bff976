"""Plain values of an audit: the records read, and what the checks find in them."""

from collections.abc import Mapping
from dataclasses import dataclass, field

# The anomaly kinds, in the order a report lists them.
ORPHAN_CAUSE = "orphan-cause"
NO_OUTCOME = "no-outcome"
TWO_OUTCOMES = "two-outcomes"
TWO_PAYMENTS = "two-payments"
TWO_RESERVATIONS = "two-reservations"
TWO_REFUNDS = "two-refunds"
TWO_SHIPMENTS = "two-shipments"
UNMATCHED_REFUND = "unmatched-refund"
UNMATCHED_RELEASE = "unmatched-release"
NEGATIVE_STOCK = "negative-stock"
UNCOMPENSATED = "uncompensated"
TRACKER_MISMATCH = "tracker-mismatch"
KINDS = (
    ORPHAN_CAUSE,
    NO_OUTCOME,
    TWO_OUTCOMES,
    TWO_PAYMENTS,
    TWO_RESERVATIONS,
    TWO_REFUNDS,
    TWO_SHIPMENTS,
    UNMATCHED_REFUND,
    UNMATCHED_RELEASE,
    NEGATIVE_STOCK,
    UNCOMPENSATED,
    TRACKER_MISMATCH,
)


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int  # milliseconds since the epoch, as the broker keeps it


@dataclass(frozen=True, slots=True)
class AuditLog:
    """Every record read, each group in (topic, partition, offset) order."""

    workflow: tuple[Record, ...]
    stock_commands: tuple[Record, ...]
    changelog: tuple[Record, ...]
    # Every topic audited, present on the broker or not, so that a missing one reports 0 records.
    topics: tuple[str, ...]
    dead_letters: tuple[Record, ...] = ()  # reported, not checked: records set aside on purpose


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str
    correlation_id: str
    message: str


@dataclass(frozen=True, slots=True)
class BadRecord:
    topic: str
    partition: int
    offset: int
    error: str


@dataclass(frozen=True, slots=True)
class Summary:
    workflows: Mapping[str, int]  # by status, from the fold of each workflow's events
    records: Mapping[str, int]  # read per topic
    duplicate_events: int  # extra copies of an event_id: at-least-once delivery, not an anomaly
    duplicate_commands: int  # extra copies of a command_id
    bad_records: tuple[BadRecord, ...]
    # Per (service, error type): what the services set aside (see eventcollab.dead_letter).
    dead_letters: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # Per step ("service: action"): orders cancelled because that step missed its deadline.
    timed_out: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Audit:
    summary: Summary
    anomalies: tuple[Anomaly, ...]

    @property
    def exit_code(self) -> int:
        return 1 if self.anomalies else 0
