"""Pure decisions of each service: (state, event) in, (new state, events out) out. No I/O."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from eventcollab.models import Event, Frozen, derived_id

S = TypeVar("S")
E = TypeVar("E", bound=Event)

# A service's declaration, next to its decision: for each event type it acts on, the event types
# it may publish in answer, each caused by that event (its causation_id). The workers skip every
# other type unread; the flow map expects exactly these causes (eventcollab.flowmap.declared).
Reactions = Mapping[str, frozenset[str]]


def emitted(reactions: Reactions) -> frozenset[str]:
    """Every event type a service may publish in answer to another."""
    return frozenset[str]().union(*reactions.values())


@dataclass(frozen=True, slots=True)
class Decision(Generic[S]):
    """What a handler does: the state to store (None: leave it) and the events to publish."""

    state: S | None = None
    events: tuple[Event, ...] = ()


def follow_up(cause: Event, kind: type[E], producer: str, now: datetime, **fields: Any) -> E:
    """The event `kind` caused by `cause`, carrying the workflow state on to the next step."""
    name = kind.model_fields["event_type"].default
    return kind(
        event_id=derived_id(cause.event_id, name),
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
        occurred_at=now,
        producer=producer,
        order=cause.order,
        **fields,
    )


class Dated(Frozen):
    """What a service keeps of a workflow, with the time of the newest event it was made of:
    the entry leaves its table once that time is past the retention horizon (see
    eventcollab.retention and eventcollab.sweep). None: stored before entries had a time.

    Declared first, the time is the first field of the stored JSON, where the sweep reads it
    without decoding the rest.
    """

    last_event_at: datetime | None = None

    @property
    def lasting(self) -> bool:
        """Kept whatever its age: an entry that no event dates."""
        return False


D = TypeVar("D", bound=Dated)


def dated(before: D | None, after: D | None, occurred_at: datetime) -> D | None:
    """What to store once an event that occurred at `occurred_at` was decided on `before`.

    The new state `after`, dated with the newest of the entry's events; or, when the event
    changed nothing but is newer than the entry, the entry with its time moved on (so that a
    late event keeps it as long as an event that changed it would); None when there is nothing
    to write, as for a re-delivered event: idempotency stays exact.
    """
    known = before.last_event_at if before is not None else None
    newest = occurred_at if known is None else max(known, occurred_at)
    if after is not None:
        return after.model_copy(update={"last_event_at": newest})
    if before is not None and newest != known:
        return before.model_copy(update={"last_event_at": newest})
    return None
