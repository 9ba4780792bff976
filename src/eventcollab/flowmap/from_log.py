"""The flow map of the whole log: every workflow folded as the tracker folds it, then mapped.

This is the map rebuilt by replay: the same pure fold (workflow.apply) and the same shares
(flowmap.causal) as anywhere else, over every workflow event on the topics.
"""

from collections.abc import Iterable, Mapping

from eventcollab import workflow
from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import Share, share_of
from eventcollab.flowmap.variants import Variants, finished_of, variants_of
from eventcollab.models import WorkflowEvent
from eventcollab.workflow import WorkflowState


def workflows_of(events: Iterable[WorkflowEvent]) -> dict[str, WorkflowState]:
    """Each workflow's state from its events (any order: the fold depends on the set)."""
    states: dict[str, WorkflowState] = {}
    for event in events:
        after = workflow.apply(states.get(event.correlation_id), event)
        if after is not None:
            states[event.correlation_id] = after
    return dict(sorted(states.items()))


def shares_of(states: Mapping[str, WorkflowState]) -> dict[str, Share]:
    """Each workflow's share of the map, computed once for the map and the conformance check."""
    return {cid: share_of(state.timeline) for cid, state in states.items()}


def map_of(
    states: Mapping[str, WorkflowState], shares: Mapping[str, Share]
) -> tuple[FlowMap, Variants]:
    flow = map_of_shares(shares.values())
    finished = (finished_of(state) for state in states.values())
    return flow, variants_of(f for f in finished if f is not None)
