"""The distinct causal paths that workflows take.

A workflow's path is its causation tree (each event under the event that caused it), written in a
canonical form: a node, then its effects' forms sorted, so that two workflows whose events caused
each other in the same way have the same form, whatever their times and arrival orders. Branches
that ran concurrently (a refund and a release after a cancellation) are siblings in the tree, not
a sequence, so their timing never makes two variants of one path.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from uuid import UUID

from pydantic import Field

from eventcollab.flowmap.causal import node_of
from eventcollab.flowmap.sketch import Sketch
from eventcollab.models import Frozen
from eventcollab.workflow import TERMINAL, Status, TimelineEntry, WorkflowState


def path_of(timeline: Iterable[TimelineEntry]) -> str:
    """The canonical form of the workflow's causation tree, e.g.
    `orders/OrderPlaced(payments/PaymentAuthorized(inventory/StockReserved(...)))`.

    An event whose cause is not among the workflow's events is a root of its own, next to the
    workflow's start: a path with a missing cause is a different path.
    """
    entries = list(timeline)
    ids = {entry.event_id for entry in entries}
    effects: dict[UUID | None, list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        cause = entry.causation_id if entry.causation_id in ids else None
        effects[cause].append(entry)

    def form(entry: TimelineEntry) -> str:
        below = sorted(form(effect) for effect in effects[entry.event_id])
        return f"{node_of(entry)}({','.join(below)})" if below else node_of(entry)

    # Each event has one cause, so every event reached from a root is reached once.
    return " + ".join(sorted(form(root) for root in effects[None]))


def variant_id(path: str) -> str:
    """A short, stable name for a path (the first 12 hex digits of its SHA-1)."""
    return hashlib.sha1(path.encode()).hexdigest()[:12]


# Workflow ids kept per variant, to drill down from the table to examples.
SAMPLES = 5


class Finished(Frozen):
    """A finished workflow as the variants table counts it."""

    correlation_id: str
    path: str
    duration_ms: float  # from its first event to its last


def finished_of(state: WorkflowState) -> Finished | None:
    """None while the workflow runs: only a finished workflow has taken a whole path."""
    return finished_in(state.correlation_id, state.timeline, state.status)


def finished_in(
    correlation_id: str, timeline: Sequence[TimelineEntry], status: Status
) -> Finished | None:
    if status not in TERMINAL or not timeline:
        return None
    times = [entry.occurred_at for entry in timeline]
    duration = (max(times) - min(times)).total_seconds() * 1000
    return Finished(correlation_id=correlation_id, path=path_of(timeline), duration_ms=duration)


class Variant(Frozen):
    path: str
    workflows: int
    durations: Sketch
    # The smallest ids of the variant's workflows: the same whichever order they came in (a
    # workflow taken out leaves a gap that later ones fill).
    samples: tuple[str, ...]


class Variants(Frozen):
    by_id: dict[str, Variant] = Field(default_factory=dict)

    def plus(self, finished: Finished) -> "Variants":
        return self.merge(variants_of([finished]))

    def minus(self, finished: Finished) -> "Variants":
        key = variant_id(finished.path)
        had = self.by_id.get(key)
        if had is None:
            raise ValueError(f"variant {key}: taking out more than was added")
        left = Variant(
            path=had.path,
            workflows=had.workflows - 1,
            durations=had.durations.remove([finished.duration_ms]),
            samples=tuple(s for s in had.samples if s != finished.correlation_id),
        )
        rest = {k: v for k, v in self.by_id.items() if k != key}
        if left.workflows:
            rest[key] = left
        return Variants(by_id=dict(sorted(rest.items())))

    def merge(self, other: "Variants") -> "Variants":
        out = dict(self.by_id)
        for key, theirs in other.by_id.items():
            ours = out.get(key)
            out[key] = theirs if ours is None else joined(ours, theirs)
        return Variants(by_id=dict(sorted(out.items())))

    @property
    def workflows(self) -> int:
        return sum(v.workflows for v in self.by_id.values())

    def ranked(self) -> list[tuple[str, Variant]]:
        """Most taken first (then by id, for one order)."""
        return sorted(self.by_id.items(), key=lambda item: (-item[1].workflows, item[0]))


def joined(a: Variant, b: Variant) -> Variant:
    return Variant(
        path=a.path,
        workflows=a.workflows + b.workflows,
        durations=a.durations.merge(b.durations),
        samples=tuple(sorted(set(a.samples) | set(b.samples))[:SAMPLES]),
    )


def variants_of(finished: Iterable[Finished]) -> Variants:
    """The variants of many workflows at once, equal to adding them one by one."""
    by_path: dict[str, list[Finished]] = defaultdict(list)
    for one in finished:
        by_path[one.path].append(one)
    return Variants(
        by_id=dict(
            sorted(
                (
                    variant_id(path),
                    Variant(
                        path=path,
                        workflows=len(group),
                        durations=Sketch.of(f.duration_ms for f in group),
                        samples=tuple(sorted(f.correlation_id for f in group)[:SAMPLES]),
                    ),
                )
                for path, group in by_path.items()
            )
        )
    )
