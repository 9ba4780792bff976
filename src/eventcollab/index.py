"""The tracker's index of workflows: by status, newest first, with counts; PURE.

Next to each workflow's state the tracker keeps, on the same partition:

- `workflows_by_status/<status>/<newest-first time>/<correlation id>`: a short summary, so that
  a list of workflows reads a range of keys and decodes no whole state;
- `status_counts/<status>`: how many of the partition's workflows have that status;
- `finished_per_minute/<YYYY-MM-DDTHH:MM>`: how many ended in that minute (by the outcome's
  `occurred_at`);
- `retired_counts/<outcome>`: how many of the partition's finished workflows left the table past
  the state retention (eventcollab.retirement).

`changes(before, after)` says what a step does to them: the same steps give the same index in any
order, since it depends only on the states. `retired(states)` says what workflows leaving does.

The index describes what the table holds: a workflow that left is listed and counted by status no
more, and counted as retired instead. A minute of `finished_per_minute` counts the workflows that
ended in it, whether they left since or not; the minute itself leaves once all of it is past the
horizon.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from eventcollab.models import Frozen
from eventcollab.workflow import TERMINAL, Status, WorkflowState

BY_STATUS = "workflows_by_status"
COUNTS = "status_counts"
FINISHED = "finished_per_minute"
RETIRED = "retired_counts"
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
# Newest first: keys sort ascending, so the time is stored as microseconds before this instant.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class Summary(Frozen):
    correlation_id: str
    status: Status
    started_at: datetime
    customer_id: str
    total: Decimal


class Count(Frozen):
    count: int


@dataclass(frozen=True)
class IndexChange:
    removed: str | None  # an index key no longer true
    added: tuple[str, Summary] | None  # a new index key (None: the workflow's key is unchanged)
    counts: dict[Status, int]  # status: change of its count
    finished_minute: str | None  # the minute to count one more finished workflow in


def summary_of(state: WorkflowState) -> Summary:
    return Summary(
        correlation_id=state.correlation_id,
        status=state.status,
        started_at=state.timeline[0].occurred_at,
        customer_id=state.order.customer_id,
        total=state.order.total,
    )


def newest_first(at: datetime) -> str:
    # Whole microseconds: through a float of seconds, times 30 us apart could share a key. Added
    # up from the difference's parts, at half the cost of dividing it by a microsecond.
    before = LATEST - at
    return f"{(before.days * 86_400 + before.seconds) * 1_000_000 + before.microseconds:020d}"


def started_of(key: str) -> tuple[datetime, str]:
    """The start time and correlation id in an index key (`status/newest-first/id`)."""
    _, newest, correlation_id = key.split("/", 2)
    return LATEST - timedelta(microseconds=int(newest)), correlation_id


def index_key(status: str, started_at: datetime, correlation_id: str) -> str:
    return f"{status}/{newest_first(started_at)}/{correlation_id}"


def started_from(status: str, at: datetime) -> str:
    """The key from which a backwards scan (oldest first) of `status` sees every workflow that
    started at `at` or later, and none that started earlier."""
    return f"{status}/{newest_first(at)}/\xff"


def key_of_state(state: WorkflowState) -> str:
    """The index key of a stored state (without building its summary)."""
    return index_key(state.status, state.timeline[0].occurred_at, state.correlation_id)


def minute_of(at: datetime) -> str:
    # The ISO form's first 16 characters are MINUTE_FORMAT's, made faster than by strftime.
    return at.astimezone(UTC).isoformat()[:16]


def minute_start(minute: str) -> datetime:
    return datetime.strptime(minute, MINUTE_FORMAT).replace(tzinfo=UTC)


UNCHANGED = IndexChange(None, None, {}, None)


def changes(before: WorkflowState | None, after: WorkflowState) -> IndexChange:
    if (
        before is not None
        and before.status == after.status
        and before.timeline[0].occurred_at == after.timeline[0].occurred_at
    ):
        return UNCHANGED  # most steps: nothing of the summary's key changes, nothing to build
    counts: dict[Status, int] = {}
    if before is None or before.status != after.status:
        counts[after.status] = 1
        if before is not None:
            counts[before.status] = -1
    ended = after.status in TERMINAL and (before is None or before.status not in TERMINAL)
    old = key_of_state(before) if before is not None else None
    new = key_of_state(after)
    moved = old != new
    return IndexChange(
        removed=old if moved else None,
        added=(new, summary_of(after)) if moved else None,
        counts=counts,
        finished_minute=minute_of(after.timeline[-1].occurred_at) if ended else None,
    )


@dataclass(frozen=True)
class Retirement:
    """What finished workflows leaving the table do to the index."""

    removed: tuple[str, ...]  # their index keys
    counts: dict[Status, int]  # status: change of its count
    retired: dict[Status, int]  # outcome: how many more retired


def retired(states: Iterable[WorkflowState]) -> Retirement:
    """Their summaries go, each status counts as many less, each outcome as many more retired:
    the counts change once for all of them, not once a workflow."""
    removed: list[str] = []
    gone: Counter[Status] = Counter()
    for state in states:
        removed.append(key_of_state(state))
        gone[state.status] += 1
    return Retirement(
        removed=tuple(removed),
        counts={status: -n for status, n in sorted(gone.items())},
        retired=dict(sorted(gone.items())),
    )
