"""What one new event changes in its workflow's share of the map, without recomputing the share.

The tracker sees a workflow's events one at a time, in any order. Most of what a new event adds
involves the event alone: its node, the edge from its cause (or one more orphan when the cause is
not there yet), its time since the start, a duplicate when its cause already had an effect of its
type. The effects that came before it are the only older events it changes: each stops being an
orphan and gains its edge from the new event. Only a new earliest start moves every event's time
since the start; then the change is the share after minus the share before.

`change_of(before, entry)` is therefore the share after minus the share before: an addition (its
orphans possibly negative) and, rarely, a share to take out.
"""

from collections import Counter
from dataclasses import dataclass

from eventcollab.flowmap.causal import START, Share, edge_of, elapsed, node_of, share_of
from eventcollab.workflow import TimelineEntry


@dataclass(frozen=True, slots=True)
class Change:
    added: Share  # counts may be negative where the event ends something (an orphan)
    taken: Share | None = None  # a share to take out whole
    new_workflow: bool = False  # the workflow's first event: one workflow more


def change_of(before: tuple[TimelineEntry, ...], entry: TimelineEntry) -> Change:
    """What `entry` changes in the map when it joins a workflow whose events were `before` (it
    must not be among them)."""
    starts = [e.occurred_at for e in before if e.event_type == START]
    start = min(starts, default=None)
    if entry.event_type == START and before and (start is None or entry.occurred_at < start):
        return Change(added=share_of((*before, entry)), taken=share_of(before))
    edges: Counter[str] = Counter()
    hops: dict[str, list[float]] = {}
    since_start: dict[str, list[float]] = {}
    skewed = orphans = duplicates = 0
    node = node_of(entry)
    by_id = {e.event_id: e for e in before}

    def hop(cause: TimelineEntry, effect: TimelineEntry) -> int:
        edge = edge_of(node_of(cause), node_of(effect))
        edges[edge] += 1
        millis, early = elapsed(cause.occurred_at, effect.occurred_at)
        hops.setdefault(edge, []).append(millis)
        return int(early)

    if entry.causation_id is not None:
        cause = by_id.get(entry.causation_id)
        if cause is None:
            orphans += 1
        else:
            skewed += hop(cause, entry)
        duplicates += any(
            e.causation_id == entry.causation_id and e.event_type == entry.event_type
            for e in before
        )
    for effect in before:
        if effect.causation_id == entry.event_id:  # came before its cause: no orphan any more
            orphans -= 1
            skewed += hop(entry, effect)
    if start is not None and entry.event_type != START:
        millis, early = elapsed(start, entry.occurred_at)
        since_start[node] = [millis]
        skewed += early
    added = Share(
        nodes={node: 1},
        edges=dict(sorted(edges.items())),
        hops={edge: tuple(sorted(ms)) for edge, ms in sorted(hops.items())},
        since_start={n: tuple(ms) for n, ms in since_start.items()},
        skewed=skewed,
        orphans=orphans,
        duplicates=duplicates,
    )
    return Change(added=added, new_workflow=not before)
