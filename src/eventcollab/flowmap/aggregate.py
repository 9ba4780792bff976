"""The flow map: the sum of the workflows' shares (flowmap.causal), with their paths' variants.

Sums merge: the map of two sets of workflows is the merge of their maps, so each partition of the
tracker can keep its own, any worker can serve the merge of all, and a workflow's share can be
taken out again when one of its events changes it. Counts that reach 0 are dropped, so equal maps
are equal values with identical JSON, whichever way they were summed.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from pydantic import Field

from eventcollab.flowmap.causal import Share, ends_of
from eventcollab.flowmap.sketch import Sketch
from eventcollab.models import Frozen


class FlowMap(Frozen):
    workflows: int = 0
    nodes: dict[str, int] = Field(default_factory=dict)
    edges: dict[str, int] = Field(default_factory=dict)
    hops: dict[str, Sketch] = Field(default_factory=dict)  # edge -> ms from the cause to the effect
    since_start: dict[str, Sketch] = Field(
        default_factory=dict
    )  # node -> ms from the workflow's start
    skewed: int = 0
    orphans: int = 0
    duplicates: int = 0

    def plus(self, share: Share) -> "FlowMap":
        return self.merge(of_share(share))

    def minus(self, share: Share) -> "FlowMap":
        """Without a share that was added before (a workflow whose events changed)."""
        return self.less([share])

    def less(self, shares: Sequence[Share]) -> "FlowMap":
        """Without many shares that were added before, each sketch changed once."""
        if not shares:
            return self
        taken = map_of_shares(shares)
        return FlowMap(
            workflows=self.workflows - taken.workflows,
            nodes=counted(self.nodes, taken.nodes, -1),
            edges=counted(self.edges, taken.edges, -1),
            hops=without(self.hops, values_of(share.hops for share in shares)),
            since_start=without(self.since_start, values_of(s.since_start for s in shares)),
            skewed=self.skewed - taken.skewed,
            orphans=self.orphans - taken.orphans,
            duplicates=self.duplicates - taken.duplicates,
        )

    def merge(self, other: "FlowMap") -> "FlowMap":
        return FlowMap(
            workflows=self.workflows + other.workflows,
            nodes=counted(self.nodes, other.nodes, 1),
            edges=counted(self.edges, other.edges, 1),
            hops=joined(self.hops, other.hops),
            since_start=joined(self.since_start, other.since_start),
            skewed=self.skewed + other.skewed,
            orphans=self.orphans + other.orphans,
            duplicates=self.duplicates + other.duplicates,
        )

    def fan_out(self, edge: str) -> float:
        """Effects per cause event along `edge` (2.0: each cause caused two on average)."""
        causes = self.nodes.get(ends_of(edge)[0], 0)
        return self.edges.get(edge, 0) / causes if causes else 0.0


def of_share(share: Share, workflows: int = 1) -> FlowMap:
    return map_of_shares([share]).model_copy(update={"workflows": workflows})


def merged(maps: Iterable[FlowMap]) -> FlowMap:
    total = FlowMap()
    for one in maps:
        total = total.merge(one)
    return total


def counted(a: Mapping[str, int], b: Mapping[str, int], sign: int) -> dict[str, int]:
    """a + sign * b, key by key, in key order, without the counts that come to 0."""
    out = Counter(a)
    for key, value in b.items():
        out[key] += sign * value
        if out[key] < 0:
            raise ValueError(f"{key}: taking out more than was added")
    return {key: value for key, value in sorted(out.items()) if value}


def joined(a: Mapping[str, Sketch], b: Mapping[str, Sketch]) -> dict[str, Sketch]:
    out = dict(a)
    for key, sketch in b.items():
        out[key] = out[key].merge(sketch) if key in out else sketch
    return dict(sorted(out.items()))


def without(
    sketches: Mapping[str, Sketch], taken: Mapping[str, Sequence[float]]
) -> dict[str, Sketch]:
    out = dict(sketches)
    for key, values in taken.items():
        if key not in out:
            raise ValueError(f"{key}: taking out more than was added")
        left = out[key].remove(values)
        if left.count:
            out[key] = left
        else:
            del out[key]
    return dict(sorted(out.items()))


def values_of(parts: Iterable[Mapping[str, tuple[float, ...]]]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for part in parts:
        for key, ms in part.items():
            values.setdefault(key, []).extend(ms)
    return values


def map_of_shares(shares: Iterable[Share]) -> FlowMap:
    """The map of many shares at once: equal to adding them one by one, without a copy of the
    map per share (a replay of the whole log adds them all)."""
    nodes: Counter[str] = Counter()
    edges: Counter[str] = Counter()
    hops: dict[str, list[float]] = {}
    since_start: dict[str, list[float]] = {}
    workflows = skewed = orphans = duplicates = 0
    for share in shares:
        workflows += 1
        nodes.update(share.nodes)
        edges.update(share.edges)
        for edge, ms in share.hops.items():
            hops.setdefault(edge, []).extend(ms)
        for node, ms in share.since_start.items():
            since_start.setdefault(node, []).extend(ms)
        skewed, orphans = skewed + share.skewed, orphans + share.orphans
        duplicates += share.duplicates
    return FlowMap(
        workflows=workflows,
        nodes=dict(sorted(nodes.items())),
        edges=dict(sorted(edges.items())),
        hops={edge: Sketch.of(ms) for edge, ms in sorted(hops.items())},
        since_start={node: Sketch.of(ms) for node, ms in sorted(since_start.items())},
        skewed=skewed,
        orphans=orphans,
        duplicates=duplicates,
    )
