"""Drill-down from the map: from an edge or a node to its slowest and failed workflows, and from a
workflow to its causation tree with the time of each hop.

The lists are bounded and the counts exact; each partition answers for its own workflows and the
answers merge (the slowest of the union are among the slowest of each set). Hop times are the
map's own (flowmap.causal), so a workflow listed as slow is one the map's quantiles counted.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventcollab.flowmap.causal import START, elapsed, node_of, share_of
from eventcollab.models import Frozen
from eventcollab.workflow import Status, TimelineEntry, WorkflowState

# Workflows listed per answer (the counts stay exact).
LISTED = 100
# How a workflow ends when it fails; a timed-out one is cancelled with the step that timed out.
FAILED: frozenset[str] = frozenset({"rejected", "cancelled"})


class Drilled(Frozen):
    correlation_id: str
    ms: float | None  # the hop's, or since the workflow's start (None: its start is not seen)
    status: Status
    timed_out: str | None = None  # the step whose deadline passed, if one did


class Ranked(Frozen):
    """Workflows counted exactly, the slowest listed first."""

    count: int = 0
    slowest: tuple[Drilled, ...] = ()

    def merge(self, other: "Ranked", listed: int = LISTED) -> "Ranked":
        return ranked((*self.slowest, *other.slowest), self.count + other.count, listed)


def ranked(drilled: Iterable[Drilled], count: int, listed: int) -> Ranked:
    # Unknown times last; ties by id, so that the list is the same however it was merged.
    order = sorted(drilled, key=lambda d: (d.ms is None, -(d.ms or 0.0), d.correlation_id))
    return Ranked(count=count, slowest=tuple(order[:listed]))


def split(drilled: list[Drilled], listed: int) -> tuple[Ranked, Ranked]:
    """All of them, and those that failed."""
    failed = [d for d in drilled if d.status in FAILED]
    return ranked(drilled, len(drilled), listed), ranked(failed, len(failed), listed)


class EdgeWorkflows(Frozen):
    edge: str
    took: Ranked  # slowest first by the hop (a workflow that took it twice: its slower hop)
    failed: Ranked  # those of them that ended rejected or cancelled

    def merge(self, other: "EdgeWorkflows", listed: int = LISTED) -> "EdgeWorkflows":
        if other.edge != self.edge:
            raise ValueError(f"the workflows of {self.edge} merged with those of {other.edge}")
        return EdgeWorkflows(
            edge=self.edge,
            took=self.took.merge(other.took, listed),
            failed=self.failed.merge(other.failed, listed),
        )


class NodeWorkflows(Frozen):
    node: str
    reached: Ranked  # slowest first by the time from the start to the node
    failed: Ranked

    def merge(self, other: "NodeWorkflows", listed: int = LISTED) -> "NodeWorkflows":
        if other.node != self.node:
            raise ValueError(f"the workflows of {self.node} merged with those of {other.node}")
        return NodeWorkflows(
            node=self.node,
            reached=self.reached.merge(other.reached, listed),
            failed=self.failed.merge(other.failed, listed),
        )


def drilled(state: WorkflowState, ms: float | None) -> Drilled:
    return Drilled(
        correlation_id=state.correlation_id, ms=ms, status=state.status, timed_out=state.timed_out
    )


def on_edge(states: Iterable[WorkflowState], edge: str, listed: int = LISTED) -> EdgeWorkflows:
    took = []
    for state in states:
        hops = share_of(state.timeline).hops.get(edge)
        if hops:
            took.append(drilled(state, max(hops)))
    every, failed = split(took, listed)
    return EdgeWorkflows(edge=edge, took=every, failed=failed)


def on_node(states: Iterable[WorkflowState], node: str, listed: int = LISTED) -> NodeWorkflows:
    reached = []
    for state in states:
        times = [e.occurred_at for e in state.timeline if node_of(e) == node]
        if times:
            reached.append(drilled(state, since_start(state.timeline, max(times))))
    every, failed = split(reached, listed)
    return NodeWorkflows(node=node, reached=every, failed=failed)


def since_start(timeline: Iterable[TimelineEntry], at: datetime) -> float | None:
    start = min((e.occurred_at for e in timeline if e.event_type == START), default=None)
    return None if start is None else elapsed(start, at)[0]


class CausedEvent(Frozen):
    event_id: UUID
    node: str
    occurred_at: datetime
    hop_ms: float | None  # from its cause (None: a root)
    clamped: bool = False  # it occurred before its cause (clocks disagree): the hop counts as 0
    orphan: bool = False  # it names a cause that is not among the workflow's events
    effects: tuple["CausedEvent", ...] = ()


class CausalTree(Frozen):
    """One workflow's events, each under its cause, in the canonical order of variants.path_of."""

    correlation_id: str
    roots: tuple[CausedEvent, ...]

    def lines(self) -> tuple[tuple[int, CausedEvent], ...]:
        """Each event with its depth, depth first: the tree indented, one event a line."""
        out: list[tuple[int, CausedEvent]] = []

        def walk(event: CausedEvent, depth: int) -> None:
            out.append((depth, event))
            for effect in event.effects:
                walk(effect, depth + 1)

        for root in self.roots:
            walk(root, 0)
        return tuple(out)


def form(event: CausedEvent) -> str:
    """The event's subtree in the canonical form of variants.path_of."""
    below = sorted(form(effect) for effect in event.effects)
    return f"{event.node}({','.join(below)})" if below else event.node


def canonical(events: Iterable[CausedEvent]) -> tuple[CausedEvent, ...]:
    # Equal forms (the same effect twice) by time, then id: one order for the same events.
    return tuple(sorted(events, key=lambda e: (form(e), e.occurred_at, e.event_id)))


def tree_of(state: WorkflowState) -> CausalTree:
    ids = {entry.event_id for entry in state.timeline}
    effects: dict[UUID | None, list[TimelineEntry]] = defaultdict(list)
    for entry in state.timeline:
        effects[entry.causation_id if entry.causation_id in ids else None].append(entry)

    def caused(entry: TimelineEntry, cause: TimelineEntry | None) -> CausedEvent:
        hop, clamped = elapsed(cause.occurred_at, entry.occurred_at) if cause else (None, False)
        return CausedEvent(
            event_id=entry.event_id,
            node=node_of(entry),
            occurred_at=entry.occurred_at,
            hop_ms=hop,
            clamped=clamped,
            orphan=cause is None and entry.causation_id is not None,
            effects=canonical(caused(effect, entry) for effect in effects[entry.event_id]),
        )

    roots = canonical(caused(root, None) for root in effects[None])
    return CausalTree(correlation_id=state.correlation_id, roots=roots)
