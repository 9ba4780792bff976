"""The flow map as a report: JSON for programs, a few tables of text for people."""

from collections.abc import Mapping
from typing import Any

from eventcollab.flowmap.aggregate import FlowMap
from eventcollab.flowmap.conformance import Deviation, Found, Mark
from eventcollab.flowmap.sketch import Sketch
from eventcollab.flowmap.variants import Variants

QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


def times(sketch: Sketch | None) -> dict[str, float | None]:
    """Quantiles in ms, rounded to 0.1 ms (the sketch is within 1 % anyway)."""
    if sketch is None:
        return {name: None for name in [*QUANTILES, "max"]}
    values = {name: sketch.quantile(q) for name, q in QUANTILES.items()} | {"max": sketch.max}
    return {name: None if v is None else round(v, 1) for name, v in values.items()}


def as_json(
    flow: FlowMap,
    marked: Mapping[str, Mark],
    variants: Variants,
    deviations: Mapping[Deviation, Found],
) -> dict[str, Any]:
    return {
        "workflows": flow.workflows,
        "nodes": {
            node: {"events": count, "since_start_ms": times(flow.since_start.get(node))}
            for node, count in flow.nodes.items()
        },
        "edges": {
            edge: {
                "events": flow.edges.get(edge, 0),
                "fan_out": round(flow.fan_out(edge), 3),
                "hop_ms": times(flow.hops.get(edge)),
                "mark": mark,
            }
            for edge, mark in marked.items()
        },
        "counters": {
            "skewed": flow.skewed,
            "orphans": flow.orphans,
            "duplicates": flow.duplicates,
        },
        "deviations": {kind: found.model_dump() for kind, found in deviations.items()},
        "variants": [
            {
                "variant": key,
                "workflows": variant.workflows,
                "share": round(variant.workflows / variants.workflows, 4),
                "duration_ms": times(variant.durations),
                "samples": list(variant.samples),
                "path": variant.path,
            }
            for key, variant in variants.ranked()
        ],
    }


def render_text(report: Mapping[str, Any]) -> str:
    lines = [f"flow of {report['workflows']:,} workflows, from the log", "", "edges:"]
    for edge, e in sorted(report["edges"].items(), key=shown_first):
        hop = e["hop_ms"]
        took = "-" if hop["p50"] is None else f"{hop['p50']} / {hop['p99']} / {hop['max']} ms"
        fan_out = f"x{e['fan_out']:.2f}"
        lines.append(f"  {e['mark']:<10} {e['events']:>7,}  {fan_out:<6} {took:<26} {edge}")
    counters = report["counters"]
    lines += [
        "",
        "counters: " + ", ".join(f"{name} {count:,}" for name, count in counters.items()),
        "deviations:",
    ]
    for kind, found in report["deviations"].items():
        samples = f"  e.g. {', '.join(found['samples'][:3])}" if found["samples"] else ""
        lines.append(f"  {kind:<17} {found['workflows']:>7,}{samples}")
    lines += ["", "variants (finished workflows):"]
    for v in report["variants"]:
        took = v["duration_ms"]
        lines.append(
            f"  {v['variant']}  {v['workflows']:>7,}  {v['share']:>6.1%}  "
            f"p50 {took['p50']} ms  p95 {took['p95']} ms  e.g. {v['samples'][0]}"
        )
        lines.append(f"      {v['path']}")
    return "\n".join(lines)


MARK_ORDER = {"unexpected": 0, "expected": 1, "never seen": 2}


def shown_first(item: tuple[str, Mapping[str, Any]]) -> tuple[int, int, str]:
    """What needs a look first (unexpected), then the busiest edges, then the unused ones."""
    edge, e = item
    return MARK_ORDER[e["mark"]], -e["events"], edge
