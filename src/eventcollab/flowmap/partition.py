"""One partition's flow map, kept up to date as its workflows move; PURE.

The tracker's table holds every workflow's state; the map of a partition is the sum of their
shares (flowmap.causal) and the variants of the finished ones. When workflows receive new events,
the map changes by each one's share after minus its share before, and the share before is the
share of the same timeline without the new events: no earlier state has to be kept. Variants and
deviations move the same way, so the map stays what a fold of the stored states gives (`folded`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import Share, share_of
from eventcollab.flowmap.conformance import Deviation, Found, shown_by
from eventcollab.flowmap.variants import Finished, Variants, finished_in, variants_of
from eventcollab.workflow import TimelineEntry, WorkflowState, status_of

# The deviations a workflow's events show whatever the time (a missing terminal depends on the
# time it is asked: see flowmap.stuck).
KINDS: tuple[Deviation, ...] = ("unexpected edge", "duplicate", "orphan cause")
SAMPLES = 10


@dataclass(frozen=True)
class PartitionFlow:
    flow: FlowMap = field(default_factory=FlowMap)
    variants: Variants = field(default_factory=Variants)
    # deviation -> the ids of the workflows that show it (few: a healthy flow has none)
    deviant: Mapping[Deviation, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Moved:
    """A workflow as stored, and the ids of its events the map has not counted yet."""

    state: WorkflowState
    fresh: frozenset[UUID]


def folded(states: Iterable[WorkflowState], expected: frozenset[str]) -> PartitionFlow:
    """The map of these workflows, from nothing."""
    return updated(PartitionFlow(), (Moved(s, frozenset()) for s in states), expected, new=True)


def updated(
    part: PartitionFlow, moved: Iterable[Moved], expected: frozenset[str], new: bool = False
) -> PartitionFlow:
    """The map after these workflows moved (with `new`, all of each one is fresh)."""
    added: list[Share] = []
    taken: list[Share] = []
    finished: list[Finished] = []
    unfinished: list[Finished] = []
    deviant = {kind: set(part.deviant.get(kind, ())) for kind in KINDS}
    for one in moved:
        state = one.state
        after = share_of(state.timeline)
        added.append(after)
        done = finished_in(state.correlation_id, state.timeline, state.status)
        if done is not None:
            finished.append(done)
        before = () if new else earlier(state.timeline, one.fresh)
        if before:
            taken.append(share_of(before))
            status = status_of({entry.event_type for entry in before})
            was_done = finished_in(state.correlation_id, before, status)
            if was_done is not None:
                unfinished.append(was_done)
        for kind in KINDS:
            deviant[kind].discard(state.correlation_id)
        for kind in shown_by(after, expected):
            deviant[kind].add(state.correlation_id)
    flow = part.flow.merge(map_of_shares(added)).less(taken)
    variants = part.variants.merge(variants_of(finished))
    for gone in unfinished:
        variants = variants.minus(gone)
    return PartitionFlow(
        flow=flow,
        variants=variants,
        deviant={kind: frozenset(ids) for kind, ids in deviant.items() if ids},
    )


def removed(part: PartitionFlow, gone: Iterable[Moved]) -> PartitionFlow:
    """The map without these workflows (they left the table), each as the map counted it: its
    steps but the fresh ones, which the map had not counted yet."""
    taken: list[Share] = []
    unfinished: list[Finished] = []
    deviant = {kind: set(part.deviant.get(kind, ())) for kind in KINDS}
    for one in gone:
        state = one.state
        for kind in KINDS:
            deviant[kind].discard(state.correlation_id)
        counted = earlier(state.timeline, one.fresh)
        if not counted:
            continue  # added and gone before the map was asked for
        taken.append(share_of(counted))
        status = status_of({entry.event_type for entry in counted})
        was_done = finished_in(state.correlation_id, counted, status)
        if was_done is not None:
            unfinished.append(was_done)
    variants = part.variants
    for done in unfinished:
        variants = variants.minus(done)
    return PartitionFlow(
        flow=part.flow.less(taken),
        variants=variants,
        deviant={kind: frozenset(ids) for kind, ids in deviant.items() if ids},
    )


def earlier(timeline: tuple[TimelineEntry, ...], fresh: frozenset[UUID]) -> list[TimelineEntry]:
    return [entry for entry in timeline if entry.event_id not in fresh]


def found(parts: Iterable[PartitionFlow]) -> dict[Deviation, Found]:
    """Per deviation, over partitions: how many workflows, and the smallest ids."""
    ids: dict[Deviation, set[str]] = {kind: set() for kind in KINDS}
    for part in parts:
        for kind, some in part.deviant.items():
            ids[kind] |= some
    return {
        kind: Found(workflows=len(some), samples=tuple(sorted(some)[:SAMPLES]))
        for kind, some in ids.items()
    }
