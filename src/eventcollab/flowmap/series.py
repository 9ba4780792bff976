"""The flow map as Prometheus series, per node and per edge; PURE (it builds the families a
collector yields, and nothing is registered globally).

Counts of events are counters (a map only grows as workflows move); the workflows on the map and
the orphans (an orphan stops being one when its cause arrives) are gauges. Times are the
sketches' quantiles in seconds, as gauges labelled `quantile` like a summary's, with "1" for the
maximum: a sketch has no sum, so it cannot be a summary.
"""

from collections.abc import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from eventcollab.flowmap.aggregate import FlowMap
from eventcollab.flowmap.causal import ends_of
from eventcollab.flowmap.conformance import Mark
from eventcollab.flowmap.sketch import Sketch

QUANTILES = (("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99))


def families(flow: FlowMap, marked: Mapping[str, Mark]) -> Iterator[Metric]:
    workflows = GaugeMetricFamily("eventcollab_flow_workflows", "Workflows on the flow map.")
    workflows.add_metric([], flow.workflows)
    yield workflows
    nodes = CounterMetricFamily(
        "eventcollab_flow_node_events",
        "Events of each node: an event type by its producer.",
        labels=["node"],
    )
    for node, count in flow.nodes.items():
        nodes.add_metric([node], count)
    yield nodes
    edges = CounterMetricFamily(
        "eventcollab_flow_edge_events",
        "Events caused along each edge, cause to effect, marked against the declarations.",
        labels=["cause", "effect", "mark"],
    )
    for edge, mark in marked.items():
        edges.add_metric([*ends_of(edge), mark], flow.edges.get(edge, 0))
    yield edges
    hops = GaugeMetricFamily(
        "eventcollab_flow_edge_hop_seconds",
        "Time from the cause to the effect along each edge (quantile 1 is the maximum).",
        labels=["cause", "effect", "quantile"],
    )
    for edge, sketch in flow.hops.items():
        for quantile, value in quantiles(sketch):
            hops.add_metric([*ends_of(edge), quantile], value)
    yield hops
    since = GaugeMetricFamily(
        "eventcollab_flow_node_since_start_seconds",
        "Time from the workflow's start to each node's events (quantile 1 is the maximum).",
        labels=["node", "quantile"],
    )
    for node, sketch in flow.since_start.items():
        for quantile, value in quantiles(sketch):
            since.add_metric([node, quantile], value)
    yield since
    yield counter(
        "eventcollab_flow_skewed_events", "Effects that occurred before their cause.", flow.skewed
    )
    yield counter(
        "eventcollab_flow_duplicate_events", "Effects that happened twice.", flow.duplicates
    )
    orphans = GaugeMetricFamily("eventcollab_flow_orphan_events", "Events whose cause is not seen.")
    orphans.add_metric([], flow.orphans)
    yield orphans


def counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def quantiles(sketch: Sketch) -> Iterator[tuple[str, float]]:
    for label, q in QUANTILES:
        value = sketch.quantile(q)
        if value is not None:
            yield label, value / 1000
    if sketch.max is not None:
        yield "1", sketch.max / 1000
