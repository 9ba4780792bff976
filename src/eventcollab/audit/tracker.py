"""The tracker's stored states against the fold of the log's events, workflow by workflow.

A finished workflow the tracker no longer holds because it left past the state retention (see
eventcollab.retirement) is no mismatch: by the fold of its events it is due at the horizon.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from eventcollab import retirement, workflow
from eventcollab.audit.model import TRACKER_MISMATCH, Anomaly
from eventcollab.models import Event
from eventcollab.workflow import Step, WorkflowState


def fold(events: Iterable[Event]) -> WorkflowState:
    """The tracker's state after every event, with the tracker's own pure fold."""
    state: WorkflowState | None = None
    for event in events:
        state = workflow.apply(state, event) or state
    if state is None:
        raise ValueError("a workflow without events has no state")
    return state


def tracker_mismatches(
    folded: Mapping[str, WorkflowState],
    stored: Mapping[str, WorkflowState],
    limit: datetime | None = None,
) -> list[Anomaly]:
    """Each workflow whose stored state differs from the fold; `limit`: the state retention's
    horizon (None: nothing leaves)."""
    found: list[Anomaly] = []
    for cid in sorted(folded.keys() | stored.keys()):
        expected = folded.get(cid)
        if cid not in stored and expected is not None and retirement.due(expected, limit):
            continue  # it left the table
        if differences := compare(cid, expected, stored.get(cid)):
            found.append(Anomaly(TRACKER_MISMATCH, cid, "; ".join(differences)))
    return found


def compare(cid: str, expected: WorkflowState | None, stored: WorkflowState | None) -> list[str]:
    if stored is None:
        return ["events on the log, no state in the tracker"]
    if expected is None:
        return ["a state in the tracker, no event on the log"]
    found: list[str] = []
    if stored.correlation_id != cid:
        found.append(f"stored under {cid} but for workflow {stored.correlation_id}")
    if stored.status != expected.status:
        found.append(f"status {stored.status}, the events say {expected.status}")
    if stored.waiting_for != expected.waiting_for:
        awaited = step(expected.waiting_for)
        found.append(f"waiting for {step(stored.waiting_for)}, the events say {awaited}")
    stored_ids, expected_ids = timeline_ids(stored), timeline_ids(expected)
    if missing := expected_ids - stored_ids:
        found.append(f"timeline lacks {listed(missing)}")
    if unknown := stored_ids - expected_ids:
        found.append(f"timeline has {listed(unknown)}, not on the log")
    return found


def timeline_ids(state: WorkflowState) -> set[UUID]:
    return {entry.event_id for entry in state.timeline}


def step(waiting: Step | None) -> str:
    return f"{waiting.service}: {waiting.action}" if waiting else "nothing"


def listed(ids: Iterable[UUID]) -> str:
    return ", ".join(sorted(str(i) for i in ids))
