"""The flow map of the partitions a tracker worker owns, kept in memory while anyone looks.

The map is derived from the tracker's table, never stored: a partition's map is built by folding
its stored workflows the first time it is asked for, then moved on by the workflows that changed
since (flowmap.partition). The tracker's handler notes each event it stores (`Work.note`); the
processor tells the view once the unit is stored, and the view reads the states in the
processor's own loop (`Processor.reading`), so what it folds and what it was told always agree.

A finished workflow that leaves the table past the state retention (agents.retiring) is noted
with its state as it was stored (`Left`): its share, as far as the map counted it, is taken out,
so the map stays the fold of what the table holds, not of every workflow ever seen.

A worker that restores its table from the changelog, or takes over partitions, builds their maps
again from what it restored: the map survives anything the table survives. When nobody has
asked for a partition's map for a long while, its notes would pile up: past `NOTED` changed
workflows the partition's map is dropped and built again on the next request.
"""

import logging
from dataclasses import dataclass
from uuid import UUID

from eventcollab.flowmap.partition import Moved, PartitionFlow, folded, removed, updated
from eventcollab.runtime.work import Work
from eventcollab.workflow import WorkflowState

log = logging.getLogger(__name__)

TABLE = "workflows"
NOTED = 50_000  # changed workflows per partition, waiting to be counted


@dataclass(frozen=True)
class Left:
    """Noted when a workflow leaves the table: its state as it was stored."""

    state: WorkflowState


class FlowView:
    """Called in the tracker processor's loop only: as its keeper, observer and reader."""

    def __init__(self, expected: frozenset[str], noted: int = NOTED) -> None:
        self.expected = expected
        self.noted = noted
        self.parts: dict[int, PartitionFlow] = {}  # the partitions built
        self.changed: dict[int, dict[str, set[UUID]]] = {}  # their new events, not counted yet
        # The workflows that left them, each with the events of it the map had not counted.
        self.left: dict[int, list[Moved]] = {}

    def kept(self, work: Work) -> None:
        for partition, notes in work.notes.items():
            changed = self.changed.get(partition)
            if changed is None:
                continue  # not built: it will be built from the store when asked for
            left = self.left.setdefault(partition, [])
            for correlation_id, what in notes:
                if isinstance(what, Left):
                    # What the map counts of it: its stored steps but those noted since.
                    uncounted = changed.pop(correlation_id, set())
                    left.append(Moved(what.state, frozenset(uncounted)))
                else:
                    changed.setdefault(correlation_id, set()).add(what)
            if len(changed) + len(left) > self.noted:
                self.drop(partition)

    def observe(self, keys: object) -> None:
        if keys is None:  # partitions taken away: whichever come back are built again
            self.parts.clear()
            self.changed.clear()
            self.left.clear()

    def drop(self, partition: int) -> None:
        self.parts.pop(partition, None)
        self.changed.pop(partition, None)
        self.left.pop(partition, None)

    def current(self, work: Work) -> PartitionFlow:
        """The map of the partition in hand, as its stored workflows are now."""
        partition = work.partition
        part = self.parts.get(partition)
        if part is not None:
            moved = []
            for correlation_id, fresh in self.changed[partition].items():
                state = work.load(TABLE, correlation_id, WorkflowState)
                if state is not None:
                    moved.append(Moved(state, frozenset(fresh)))
            try:
                part = removed(part, self.left.get(partition, ()))
                part = updated(part, moved, self.expected)
            except ValueError:  # taking out what was never added: the map is off; start over
                log.exception("flow map of partition %d out of step; built again", partition)
                part = None
        if part is None:
            stored = (WorkflowState.model_validate_json(raw) for _, raw in work.scan(TABLE))
            part = folded(stored, self.expected)
        self.parts[partition] = part
        self.changed[partition] = {}
        self.left[partition] = []
        return part
