"""The flow as it ran against the flow the services declare (flowmap.declared).

Edges are marked expected (declared and seen), unexpected (seen, not declared) or never seen
(declared, not seen). Each workflow is checked for what a choreography gets wrong: an event caused
by one that no service declares it reacts to that way (unexpected edge), no outcome long after its
start (missing terminal), an effect that happened twice (duplicate), an event whose cause is not on
the log (orphan cause). No model is drawn by hand: the expected graph comes from the services'
declarations next to their code.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from eventcollab.flowmap.causal import Share
from eventcollab.models import Frozen
from eventcollab.workflow import TERMINAL, WorkflowState

Mark = Literal["expected", "unexpected", "never seen"]
Deviation = Literal["unexpected edge", "missing terminal", "duplicate", "orphan cause"]
DEVIATIONS: tuple[Deviation, ...] = (
    "unexpected edge",
    "missing terminal",
    "duplicate",
    "orphan cause",
)
# Workflow ids kept per deviation, to drill down from a count to examples.
SAMPLES = 10
# A workflow without an outcome this long after its start is missing one: longer than the
# longest step deadline (15 min by default).
GRACE = timedelta(minutes=20)


def marks(seen: Iterable[str], expected: Iterable[str]) -> dict[str, Mark]:
    """Every edge seen or declared, marked; edges in order."""
    seen, expected = set(seen), set(expected)
    marked: dict[str, Mark] = {}
    for edge in sorted(seen | expected):
        if edge in expected:
            marked[edge] = "expected" if edge in seen else "never seen"
        else:
            marked[edge] = "unexpected"
    return marked


class Found(Frozen):
    workflows: int
    samples: tuple[str, ...]  # the smallest ids, whatever the order the workflows came in


def deviations_of(
    states: Mapping[str, WorkflowState],
    shares: Mapping[str, Share],
    expected: Iterable[str],
    now: datetime,
    grace: timedelta,
) -> dict[Deviation, Found]:
    """Per kind, the workflows that show it (a workflow may show several)."""
    expected = frozenset(expected)
    found: dict[Deviation, list[str]] = {kind: [] for kind in DEVIATIONS}
    for correlation_id in sorted(states):
        state, share = states[correlation_id], shares[correlation_id]
        for kind in deviations_in(state, share, expected, now, grace):
            found[kind].append(correlation_id)
    return {
        kind: Found(workflows=len(ids), samples=tuple(ids[:SAMPLES])) for kind, ids in found.items()
    }


def deviations_in(
    state: WorkflowState, share: Share, expected: frozenset[str], now: datetime, grace: timedelta
) -> list[Deviation]:
    kinds = shown_by(share, expected)
    started = min(entry.occurred_at for entry in state.timeline)
    if state.status not in TERMINAL and now - started > grace:
        kinds.append("missing terminal")
    return kinds


def shown_by(share: Share, expected: frozenset[str]) -> list[Deviation]:
    """The deviations a workflow's events show, whenever it is asked (unlike a missing
    terminal, which depends on the time)."""
    kinds: list[Deviation] = []
    if any(edge not in expected for edge in share.edges):
        kinds.append("unexpected edge")
    if share.duplicates:
        kinds.append("duplicate")
    if share.orphans:
        kinds.append("orphan cause")
    return kinds
