"""Stuck workflows on the map: "N waiting after X for longer than T", per node.

A workflow in progress waits after the event that asked for its awaited step (the node of
`workflow.waiting_since`). It shows as stuck once it has waited longer than a share (the stuck
ratio) of that step's deadline, so a reader sees it before the deadline cancels it; a step
without a deadline is never stuck. The answer is a function of the stored states and the time,
so a workflow that moves on (another step, or its end) leaves the list by itself. Each partition
answers for its own workflows and the answers merge: counts add, and the longest waits of the
union are among the longest of each set.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from pydantic import Field

from eventcollab.deadlines import Deadlines
from eventcollab.flowmap.causal import elapsed, node_of
from eventcollab.models import Frozen
from eventcollab.workflow import Step, WorkflowState, waiting_since

# Ids listed per node (the count stays exact): enough for a page, small enough to merge often.
LISTED = 100


class Waiting(Frozen):
    correlation_id: str
    waiting_for: Step
    waited_ms: float
    limit_ms: float  # T: the step's deadline times the stuck ratio


class StuckAt(Frozen):
    """The workflows stuck after one node: how many, and the longest waiting first."""

    count: int = 0
    longest: tuple[Waiting, ...] = ()

    def merge(self, other: "StuckAt", listed: int = LISTED) -> "StuckAt":
        return StuckAt(
            count=self.count + other.count, longest=longest((*self.longest, *other.longest), listed)
        )


class Stuck(Frozen):
    nodes: dict[str, StuckAt] = Field(default_factory=dict)  # node -> stuck after it

    def merge(self, other: "Stuck", listed: int = LISTED) -> "Stuck":
        out = dict(self.nodes)
        for node, theirs in other.nodes.items():
            out[node] = out[node].merge(theirs, listed) if node in out else theirs
        return Stuck(nodes=dict(sorted(out.items())))

    @property
    def workflows(self) -> int:
        return sum(at.count for at in self.nodes.values())


def longest(waiting: Iterable[Waiting], listed: int) -> tuple[Waiting, ...]:
    # Ties by id: the same list whichever set each came from.
    return tuple(sorted(waiting, key=lambda w: (-w.waited_ms, w.correlation_id))[:listed])


def waiting_of(
    state: WorkflowState, limits: Deadlines, ratio: float, now: datetime
) -> tuple[str, Waiting] | None:
    """The node a workflow is stuck after, and its wait; None unless it is stuck."""
    started, step = waiting_since(state), state.waiting_for
    seconds = limits.of(step) if step is not None else None
    if started is None or step is None or seconds is None:
        return None
    waited, _ = elapsed(started.occurred_at, now)
    limit = seconds * 1000 * ratio
    if waited <= limit:
        return None
    waiting = Waiting(
        correlation_id=state.correlation_id, waiting_for=step, waited_ms=waited, limit_ms=limit
    )
    return node_of(started), waiting


def stuck_of(
    states: Iterable[WorkflowState],
    limits: Deadlines,
    ratio: float,
    now: datetime,
    listed: int = LISTED,
) -> Stuck:
    if not 0 < ratio <= 1:
        raise ValueError(f"the stuck ratio is a share of the deadline, in (0, 1], not {ratio}")
    by_node: dict[str, list[Waiting]] = defaultdict(list)
    for state in states:
        found = waiting_of(state, limits, ratio, now)
        if found is not None:
            by_node[found[0]].append(found[1])
    return Stuck(
        nodes={
            node: StuckAt(count=len(waits), longest=longest(waits, listed))
            for node, waits in sorted(by_node.items())
        }
    )
