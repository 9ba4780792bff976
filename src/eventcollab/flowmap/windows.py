"""The map in the past and two maps compared: as the tracker had it at an instant, the workflows
started within a window, and what changed between two maps (before and after a deploy).

A state as of an instant keeps the steps the tracker had recorded by then and folds them again
(workflow.refolded, as the status as of a time does with the steps that had occurred), so the map
as of an instant is the map the tracker would have shown then. Both are plain maps (flowmap.
aggregate): the parts' maps merge as the live ones do.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import START, share_of
from eventcollab.flowmap.sketch import Sketch
from eventcollab.models import Frozen
from eventcollab.workflow import TimelineEntry, WorkflowState, refolded


def recorded(entry: TimelineEntry) -> datetime:
    # A state folded without the tracker's clock (rebuilt from the log) knows only when its steps
    # occurred.
    return entry.recorded_at if entry.recorded_at is not None else entry.occurred_at


def as_of(state: WorkflowState, at: datetime) -> WorkflowState | None:
    """The state with the steps the tracker had recorded by `at`; None if it had none."""
    return refolded(state, lambda entry: recorded(entry) <= at)


def map_as_of(states: Iterable[WorkflowState], at: datetime) -> FlowMap:
    then = (as_of(state, at) for state in states)
    return map_of_shares(share_of(state.timeline) for state in then if state is not None)


def start_of(state: WorkflowState) -> datetime | None:
    """When the workflow started (its order was placed); None while that is not seen."""
    return min((e.occurred_at for e in state.timeline if e.event_type == START), default=None)


def started_between(
    states: Iterable[WorkflowState], start: datetime, end: datetime
) -> list[WorkflowState]:
    """The workflows whose start lies in [start, end): windows side by side share none."""
    return [s for s in states if (begun := start_of(s)) is not None and start <= begun < end]


class Compared(Frozen):
    """A node or an edge in map a and in map b."""

    in_a: int
    in_b: int
    share_a: float  # events per workflow of the map (above 1 when it happens more than once)
    share_b: float
    difference: int  # in_b - in_a
    share_difference: float  # share_b - share_a
    p50_a_ms: float | None  # an edge's hop, a node's time since the start
    p99_a_ms: float | None
    p50_b_ms: float | None
    p99_b_ms: float | None
    change: Literal["new", "gone"] | None = None  # only in b, only in a


class MapDiff(Frozen):
    workflows_a: int
    workflows_b: int
    nodes: dict[str, Compared]
    edges: dict[str, Compared]


def map_diff(a: FlowMap, b: FlowMap) -> MapDiff:
    return MapDiff(
        workflows_a=a.workflows,
        workflows_b=b.workflows,
        nodes=compared(a.nodes, b.nodes, a.since_start, b.since_start, a.workflows, b.workflows),
        edges=compared(a.edges, b.edges, a.hops, b.hops, a.workflows, b.workflows),
    )


def compared(
    a: Mapping[str, int],
    b: Mapping[str, int],
    times_a: Mapping[str, Sketch],
    times_b: Mapping[str, Sketch],
    workflows_a: int,
    workflows_b: int,
) -> dict[str, Compared]:
    out = {}
    for key in sorted(a.keys() | b.keys()):
        in_a, in_b = a.get(key, 0), b.get(key, 0)
        share_a, share_b = share(in_a, workflows_a), share(in_b, workflows_b)
        out[key] = Compared(
            in_a=in_a,
            in_b=in_b,
            share_a=share_a,
            share_b=share_b,
            difference=in_b - in_a,
            share_difference=share_b - share_a,
            p50_a_ms=quantile(times_a, key, 0.5),
            p99_a_ms=quantile(times_a, key, 0.99),
            p50_b_ms=quantile(times_b, key, 0.5),
            p99_b_ms=quantile(times_b, key, 0.99),
            change="new" if not in_a else "gone" if not in_b else None,
        )
    return out


def share(count: int, workflows: int) -> float:
    return count / workflows if workflows else 0.0


def quantile(times: Mapping[str, Sketch], key: str, q: float) -> float | None:
    sketch = times.get(key)
    return sketch.quantile(q) if sketch is not None else None
