"""The flow map drawn as an inline SVG, for a page to embed as it is (no script).

Boxes are the event types as each producer publishes them, declared or seen, with how many
events there were and how long after the order was placed (p50/p99); lines are what caused what,
with how many events and the median hop. Lines are marked against the declarations: solid when
declared and seen, red and thick when seen but never declared, grey and dashed when declared but
never seen. Every box and line links to its own page and carries its name, count and mark as
data attributes. Names come from events on the wire: every text is escaped.

`python -m eventcollab.flowmap.drawing > flow.svg` draws a generated map (flowmap.sample).
"""

import html
import math
import re
import sys
from collections.abc import Mapping
from urllib.parse import quote

from eventcollab.flowmap import declared
from eventcollab.flowmap.aggregate import FlowMap
from eventcollab.flowmap.conformance import Mark, marks
from eventcollab.flowmap.layout import Layout, laid_out, layers_of
from eventcollab.flowmap.routing import Curve, Rect, box_of, curves_of, labels_placed, path_data
from eventcollab.flowmap.sketch import Sketch
from eventcollab.workflow import OUTCOMES

COLOURS: dict[Mark, str] = {"expected": "#5b6b88", "unexpected": "#c62828", "never seen": "#a0a6b2"}
# The dashboard's colours for each outcome (web/templates/base.html).
OUTCOME_FILLS = {"completed": "#d4f5dc", "rejected": "#fbd9d9", "cancelled": "#e4e4e8"}
ENTRY_FILL, PLAIN_FILL, UNDECLARED_FILL = "#e6eefb", "#f7f8fb", "#fdecec"
STUCK_FILL = "#f0b400"
MEANINGS: tuple[tuple[Mark, str], ...] = (
    ("expected", "declared, seen"),
    ("unexpected", "seen, not declared"),
    ("never seen", "declared, never seen"),
)
SMALL, LARGE = 11.0, 13.0  # font sizes
LABEL_HEIGHT = 15.0
# Longer names are cut (the whole name is in the box's tooltip and on its page).
LONGEST_PRODUCER, LONGEST_TYPE = 26, 24
# Characters XML 1.0 does not allow, even escaped: a name from the wire must not break the page.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def svg_of(flow: FlowMap, stuck: Mapping[str, int] | None = None) -> str:
    """The map as one <svg> element; `stuck`: node -> workflows waiting after it too long."""
    stuck = {node: count for node, count in (stuck or {}).items() if count > 0}
    expected = sorted(declared.expected_names())
    node_marks = marks([*flow.nodes, *stuck], [declared.named(n) for n in declared.nodes()])
    edge_marks = marks(flow.edges, expected)
    entries = [declared.named(node) for node in declared.entry_nodes()]
    layers = layers_of(node_marks, expected, entries, flow.edges)
    layout = laid_out(layers, edge_marks)
    curves = curves_of(layout)
    texts = {edge: edge_text(flow, edge) for edge in edge_marks}
    sizes = {edge: (text_width(text, SMALL) + 8, LABEL_HEIGHT) for edge, text in texts.items()}
    boxes = [box_of(node, layout) for node in node_marks]
    legend, legend_width = legend_of(flow.workflows)
    width = max(layout.width, legend_width)
    labels = labels_placed(curves, sizes, boxes, width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-map" width="{width:.0f}" '
        f'height="{layout.height:.0f}" viewBox="0 0 {width:.0f} {layout.height:.0f}" '
        'font-family="system-ui, sans-serif" style="max-width: 100%; height: auto">',
        defs(),
        legend,
    ]
    for edge, mark in edge_marks.items():
        parts.append(edge_svg(edge, mark, flow, curves[edge], labels[edge], texts[edge]))
    for node, mark in node_marks.items():
        parts.append(node_svg(node, mark, flow, stuck.get(node, 0), layout))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def escaped(text: str) -> str:
    return html.escape(NOT_XML.sub("\ufffd", text), quote=True)


def shortened(text: str, longest: int) -> str:
    return text if len(text) <= longest else text[: longest - 1] + "…"


def text_width(text: str, size: float) -> float:
    """A generous estimate: about 0.6 em a character in a sans-serif font."""
    return round(len(text) * size * 0.6, 1)


def duration(ms: float | None) -> str:
    if ms is None:
        return "?"
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 10_000:
        return f"{ms:.0f} ms"
    if ms < 120_000:
        return f"{ms / 1000:.1f} s"
    if ms < 7_200_000:
        return f"{ms / 60_000:.0f} min"
    return f"{ms / 3_600_000:.0f} h"


def edge_text(flow: FlowMap, edge: str) -> str:
    count = flow.edges.get(edge, 0)
    if not count:
        return "never seen"
    hop = flow.hops.get(edge, Sketch())
    return f"{count} · {duration(hop.quantile(0.5))}" if hop.count else str(count)


def stroke_width(count: int, mark: Mark) -> float:
    """Wider with more events, on a log scale, within bounds; unexpected edges always stand out."""
    if mark == "never seen":
        return 1.4
    width = min(1.2 + 1.1 * math.log10(max(count, 1)), 4.8)
    return round(max(width, 3.0) if mark == "unexpected" else width, 1)


def edge_svg(
    edge: str, mark: Mark, flow: FlowMap, curves: list[Curve], label: Rect, text: str
) -> str:
    count = flow.edges.get(edge, 0)
    colour = COLOURS[mark]
    dashes = ' stroke-dasharray="6 4"' if mark == "never seen" else ""
    x, y, width, height = label
    marker = mark.replace(" ", "-")
    return (
        f'<a href="/flow/edges/{escaped(quote(edge, safe=""))}">'
        f'<g class="edge" data-edge="{escaped(edge)}" data-count="{count}" data-mark="{mark}">'
        f"<title>{escaped(edge)}: {escaped(text)}</title>"
        f'<path d="{path_data(curves)}" fill="none" stroke="{colour}" '
        f'stroke-width="{stroke_width(count, mark)}"{dashes} '
        f'marker-end="url(#flow-arrow-{marker})"/>'
        f'<rect class="label" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'rx="3" fill="#fff" fill-opacity="0.9"/>'
        f'<text x="{x + width / 2:.1f}" y="{y + height - 4:.1f}" font-size="{SMALL:.0f}" '
        f'text-anchor="middle" fill="{colour}"'
        f"{' font-style=' + chr(34) + 'italic' + chr(34) if mark == 'never seen' else ''}>"
        f"{escaped(text)}</text></g></a>"
    )


def node_svg(node: str, mark: Mark, flow: FlowMap, stuck: int, layout: Layout) -> str:
    x, y, width, height = box_of(node, layout)
    producer, _, event_type = node.rpartition("/")
    count = flow.nodes.get(node, 0)
    ink = "#1d2330" if count else COLOURS["never seen"]
    border = 'stroke="#8a94a8" stroke-width="1"'
    if mark == "unexpected":
        border = f'stroke="{COLOURS["unexpected"]}" stroke-width="2"'
    elif mark == "never seen":
        border = f'stroke="{COLOURS["never seen"]}" stroke-width="1" stroke-dasharray="5 3"'
    rounded = 18 if node in {declared.named(n) for n in declared.entry_nodes()} else 5
    badge = f' data-stuck="{stuck}"' if stuck else ""
    return (
        f'<a href="/flow/nodes/{escaped(quote(node, safe=""))}">'
        f'<g class="node" data-node="{escaped(node)}" data-count="{count}" '
        f'data-mark="{mark}"{badge}>'
        f"<title>{escaped(node)}: {count} events</title>"
        f'<rect class="box" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'rx="{rounded}" fill="{fill_of(node, mark)}" {border}/>'
        f'<text x="{x + 10:.1f}" y="{y + 15:.1f}" font-size="{SMALL:.0f}" fill="#6b7385">'
        f"{escaped(shortened(producer, LONGEST_PRODUCER))}</text>"
        f'<text x="{x + 10:.1f}" y="{y + 33:.1f}" font-size="{LARGE:.0f}" font-weight="600" '
        f'fill="{ink}">{escaped(shortened(event_type, LONGEST_TYPE))}</text>'
        f'<text x="{x + 10:.1f}" y="{y + 51:.1f}" font-size="{SMALL:.0f}" fill="{ink}">'
        f"{escaped(node_text(flow, node))}</text>"
        f"{stuck_badge(stuck, x + width, y) if stuck else ''}</g></a>"
    )


def fill_of(node: str, mark: Mark) -> str:
    if mark == "unexpected":
        return UNDECLARED_FILL
    if node in {declared.named(n) for n in declared.entry_nodes()}:
        return ENTRY_FILL
    status = OUTCOMES.get(node.rpartition("/")[2])
    return OUTCOME_FILLS.get(status, PLAIN_FILL) if status else PLAIN_FILL


def node_text(flow: FlowMap, node: str) -> str:
    count = flow.nodes.get(node, 0)
    if not count:
        return "never seen"
    since = flow.since_start.get(node, Sketch())
    if not since.count:
        return str(count)
    p50, p99 = duration(since.quantile(0.5)), duration(since.quantile(0.99))
    return f"{count} · p50 {p50} · p99 {p99}"


def stuck_badge(stuck: int, right: float, top: float) -> str:
    text = f"{stuck} stuck"
    width = text_width(text, SMALL) + 8
    return (
        f'<rect class="stuck" x="{right - width - 4:.1f}" y="{top + 4:.1f}" width="{width:.1f}" '
        f'height="15" rx="7" fill="{STUCK_FILL}"/>'
        f'<text x="{right - width / 2 - 4:.1f}" y="{top + 15:.1f}" font-size="{SMALL:.0f}" '
        f'font-weight="700" text-anchor="middle" fill="#3a2a00">{text}</text>'
    )


def defs() -> str:
    markers = [
        f'<marker id="flow-arrow-{mark.replace(" ", "-")}" viewBox="0 0 10 10" refX="0" refY="5" '
        f'markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for mark, colour in COLOURS.items()
    ]
    return f"<defs>{''.join(markers)}</defs>"


def legend_of(workflows: int) -> tuple[str, float]:
    """One line above the map saying what its marks mean; and its width."""
    parts, x = [], 16.0
    heading = f"{workflows} workflows"
    parts.append(f'<text x="{x}" y="22" font-size="{LARGE:.0f}" font-weight="600">{heading}</text>')
    x += text_width(heading, LARGE) + 16
    for mark, meaning in MEANINGS:
        dashes = ' stroke-dasharray="6 4"' if mark == "never seen" else ""
        parts.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x + 26:.1f}" y2="18" stroke="{COLOURS[mark]}" '
            f'stroke-width="{3 if mark == "unexpected" else 2}"{dashes}/>'
            f'<text x="{x + 32:.1f}" y="22" font-size="{SMALL:.0f}">{meaning}</text>'
        )
        x += 32 + text_width(meaning, SMALL) + 16
    note = "boxes: events · ms since the order was placed; lines: events · median hop"
    parts.append(f'<text x="{x:.1f}" y="22" font-size="{SMALL:.0f}" fill="#6b7385">{note}</text>')
    x += text_width(note, SMALL) + 16
    return f'<g class="legend">{"".join(parts)}</g>', x


def main() -> int:
    from eventcollab.flowmap import sample

    flow, stuck = sample.generated()
    sys.stdout.write(svg_of(flow, stuck))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
