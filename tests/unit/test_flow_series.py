"""The flow map's Prometheus series: one per node and edge, with the map's own numbers."""

import random

from flows import PATHS, timeline_of
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from eventcollab.flowmap import declared, series
from eventcollab.flowmap.aggregate import FlowMap, map_of_shares
from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.conformance import marks


class Map(Collector):
    def __init__(self, flow: FlowMap) -> None:
        self.flow = flow

    def collect(self):  # type: ignore[no-untyped-def]
        return series.families(self.flow, marks(self.flow.edges, declared.expected_names()))


def scraped(flow: FlowMap) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Map(flow))
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_every_node_and_edge_has_its_count_mark_and_times() -> None:
    chance = random.Random(1)
    timelines = [timeline_of(roots, chance) for roots in PATHS.values() for _ in range(5)]
    flow = map_of_shares(share_of(t) for t in timelines)
    found = scraped(flow)

    assert found[("eventcollab_flow_workflows", ())] == 15
    for node, count in flow.nodes.items():
        assert found[("eventcollab_flow_node_events_total", (("node", node),))] == count
    for edge, mark in marks(flow.edges, declared.expected_names()).items():
        cause, effect = edge.split(" -> ")
        labels = (("cause", cause), ("effect", effect), ("mark", mark))
        assert found[("eventcollab_flow_edge_events_total", labels)] == flow.edges.get(edge, 0)
    for edge, sketch in flow.hops.items():
        cause, effect = edge.split(" -> ")
        for quantile, q in (("0.5", 0.5), ("0.99", 0.99), ("1", None)):
            labels = (("cause", cause), ("effect", effect), ("quantile", quantile))
            expected = (sketch.max if q is None else sketch.quantile(q)) or 0.0
            assert found[("eventcollab_flow_edge_hop_seconds", labels)] == expected / 1000
    never = [
        e for e, m in marks(flow.edges, declared.expected_names()).items() if m == "never seen"
    ]
    assert never, "the generated paths leave some declared edges unused"
    cause, effect = never[0].split(" -> ")
    labels = (("cause", cause), ("effect", effect), ("mark", "never seen"))
    assert found[("eventcollab_flow_edge_events_total", labels)] == 0


def test_an_empty_map_has_its_totals_at_zero_and_no_times() -> None:
    found = scraped(FlowMap())
    assert found[("eventcollab_flow_workflows", ())] == 0
    assert found[("eventcollab_flow_orphan_events", ())] == 0
    assert found[("eventcollab_flow_duplicate_events_total", ())] == 0
    assert not [key for key in found if key[0] == "eventcollab_flow_edge_hop_seconds"]
