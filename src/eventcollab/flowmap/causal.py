"""One workflow's share of the flow map, from the events the tracker holds for it.

Every event names its cause (`causation_id`), so which event caused which is known exactly: an
edge of the map joins the cause's node to the effect's, a node being an event type as one
producer emits it. A workflow's share is a function of the set of its events, never of their
arrival order, so the same events in any order give the same share; the tracker will add a
workflow's share after each event and take its share before that event out, which keeps the map
a plain sum of shares (see flowmap.aggregate).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventcollab.models import Frozen
from eventcollab.workflow import TimelineEntry

# The event that starts every workflow: times "since the start" count from it.
START = "OrderPlaced"
ARROW = " -> "


def node_of(entry: TimelineEntry) -> str:
    """A node of the map: the event type as its producer emits it, `producer/EventType`."""
    return f"{entry.producer}/{entry.event_type}"


def edge_of(cause: str, effect: str) -> str:
    return f"{cause}{ARROW}{effect}"


def ends_of(edge: str) -> tuple[str, str]:
    cause, _, effect = edge.partition(ARROW)
    return cause, effect


class Share(Frozen):
    """What one workflow adds to the map."""

    nodes: dict[str, int]  # node -> events
    edges: dict[str, int]  # "cause -> effect" -> events caused so
    hops: dict[str, tuple[float, ...]]  # edge -> ms from the cause to each effect
    since_start: dict[str, tuple[float, ...]]  # node -> ms from the workflow's start
    # An effect that occurred before its cause or its workflow's start (the producers' clocks
    # disagree): its time counts as 0, and it is counted here.
    skewed: int = 0
    # Events whose cause is not among the workflow's events (not seen yet, or lost).
    orphans: int = 0
    # Events of one type from one cause beyond the first: an effect that happened twice.
    duplicates: int = 0


def share_of(timeline: Iterable[TimelineEntry]) -> Share:
    entries = list(timeline)  # what it adds up to depends on no order: lists are sorted below
    by_id = {entry.event_id: entry for entry in entries}
    start = min((e.occurred_at for e in entries if e.event_type == START), default=None)
    nodes = Counter(node_of(entry) for entry in entries)
    edges: Counter[str] = Counter()
    hops: dict[str, list[float]] = defaultdict(list)
    since_start: dict[str, list[float]] = defaultdict(list)
    skewed = orphans = 0
    for entry in entries:
        if start is not None and entry.event_type != START:
            millis, early = elapsed(start, entry.occurred_at)
            since_start[node_of(entry)].append(millis)
            skewed += early
        if entry.causation_id is None:
            continue
        cause = by_id.get(entry.causation_id)
        if cause is None:
            orphans += 1
            continue
        edge = edge_of(node_of(cause), node_of(entry))
        edges[edge] += 1
        millis, early = elapsed(cause.occurred_at, entry.occurred_at)
        hops[edge].append(millis)
        skewed += early
    return Share(
        nodes=dict(sorted(nodes.items())),
        edges=dict(sorted(edges.items())),
        hops={edge: tuple(sorted(ms)) for edge, ms in sorted(hops.items())},
        since_start={node: tuple(sorted(ms)) for node, ms in sorted(since_start.items())},
        skewed=skewed,
        orphans=orphans,
        duplicates=duplicates_in(entries),
    )


def elapsed(since: datetime, at: datetime) -> tuple[float, bool]:
    """Milliseconds from `since` to `at`, at least 0, and whether they had to be clamped."""
    millis = (at - since).total_seconds() * 1000
    return max(millis, 0.0), millis < 0


def duplicates_in(entries: Iterable[TimelineEntry]) -> int:
    effects: Counter[tuple[UUID, str]] = Counter(
        (e.causation_id, e.event_type) for e in entries if e.causation_id is not None
    )
    return sum(count - 1 for count in effects.values())
