"""The flow map for people: the dashboard's Flow section and the drill-down pages, rendered on
the server from the same merged answers as GET /flow, /flow/stuck, /flow/edges/{edge} and
/flow/nodes/{node}, so that they read without JavaScript.

The section is the map drawn (flowmap.drawing) with each node's stuck count as a badge, the
stuck workflows per node, the variants and the deviations; web.flow_stream sends it again
whenever it changes.
"""

import hashlib
from typing import Any

from aiohttp import web
from markupsafe import Markup

from eventcollab.flowmap.drawing import svg_of
from eventcollab.flowmap.drill import EdgeWorkflows, NodeWorkflows
from eventcollab.flowmap.stuck import Stuck, StuckAt
from eventcollab.web.flow import Whole
from eventcollab.web.pages import TEMPLATES, page

FIRST_IDS = 5  # stuck workflows linked per node (the count stays exact)


def limit_of(at: StuckAt) -> float:
    """T of "waiting for longer than T": each listed wait carries its own (one step per node)."""
    return max((waiting.limit_ms for waiting in at.longest), default=0.0)


def digest_of(html: str) -> str:
    return hashlib.sha1(html.encode()).hexdigest()[:16]


def section(inner: str, digest: str = "") -> str:
    """The section, marked with the digest of what it shows: a page that has it already
    asks the stream for what differs from it (`?seen=DIGEST`)."""
    return f'<section id="flow" data-digest="{digest}">\n{inner}</section>\n'


def section_html(whole: Whole, stuck: Stuck, ratio: float) -> str:
    """What the section shows; `section` wraps it."""
    report = whole.as_json()
    drawn = svg_of(whole.flow, {node: at.count for node, at in stuck.nodes.items()})
    rows = [
        {
            "node": node,
            "count": at.count,
            "limit_ms": limit_of(at),
            "first": [w.correlation_id for w in at.longest[:FIRST_IDS]],
        }
        for node, at in stuck.nodes.items()
    ]
    return TEMPLATES.get_template("flow.html").render(
        svg=Markup(drawn),  # the drawing escapes every name itself
        workflows=whole.flow.workflows,
        stuck=rows,
        stuck_total=stuck.workflows,
        ratio=ratio,
        variants=report["variants"],
        deviations=report["deviations"],
    )


def unavailable_html(why: str) -> str:
    return section(TEMPLATES.get_template("flow.html").render(unavailable=why))


def drill_page(whole: EdgeWorkflows | NodeWorkflows) -> web.Response:
    """The slowest and failed workflows of an edge or a node, each linked to its page."""
    values: dict[str, Any]
    if isinstance(whole, EdgeWorkflows):
        values = {"kind": "edge", "name": whole.edge, "every": whole.took, "verb": "took"}
        values["measure"] = "the hop"
    else:
        values = {"kind": "node", "name": whole.node, "every": whole.reached, "verb": "reached"}
        values["measure"] = "since the order was placed"
    return page("drill.html", failed=whole.failed, **values)
