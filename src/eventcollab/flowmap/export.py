"""The flow in the forms that other tools read: an event log and the directly-follows counts.

Process-mining tools (PM4Py, Disco, ProM, Celonis) import an event log as CSV with a case id, an
activity and a timestamp per row; here the case is the correlation id, the activity the event type,
and the producer is the row's resource. Their maps start from the directly-follows counts: how
often one activity came right after another within a case, by time, which is not the causal map
(two branches that run at once follow each other in time, not by cause).
"""

import csv
import io
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise

from eventcollab.workflow import TimelineEntry, WorkflowState

COLUMNS = ("case_id", "activity", "timestamp", "resource", "event_id", "causation_id")


def in_time_order(state: WorkflowState) -> list[TimelineEntry]:
    return sorted(state.timeline, key=lambda e: (e.occurred_at, str(e.event_id)))


def event_log_csv(states: Mapping[str, WorkflowState]) -> str:
    """One row per event, cases in id order, events in time order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for correlation_id in sorted(states):
        for entry in in_time_order(states[correlation_id]):
            writer.writerow(
                (
                    correlation_id,
                    entry.event_type,
                    entry.occurred_at.isoformat(),
                    entry.producer,
                    entry.event_id,
                    entry.causation_id or "",
                )
            )
    return out.getvalue()


def directly_follows(states: Mapping[str, WorkflowState]) -> dict[str, int]:
    """`A -> B`: how many times B came right after A within a workflow, by time."""
    follows: Counter[str] = Counter()
    for state in states.values():
        for before, after in pairwise(in_time_order(state)):
            follows[f"{before.event_type} -> {after.event_type}"] += 1
    return dict(sorted(follows.items()))
