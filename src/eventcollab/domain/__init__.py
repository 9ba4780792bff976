"""Pure decisions of each service: (state, event) in, (new state, events out) out. No I/O."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from eventcollab.models import Event, derived_id

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
