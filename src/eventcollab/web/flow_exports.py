"""The flow map for other tools, over every tracker worker:

- GET /flow/events.csv: the event log for process mining (flowmap.export), one row per event;
- GET /flow/follows: the directly-follows counts as JSON;
- GET /flow/metrics: the map's per-node and per-edge series in Prometheus' text format
  (flowmap.series). Any one tracker worker serves the whole map: scrape one of them.
"""

import csv
import io
from collections import Counter
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from eventcollab.flowmap import declared, export, series
from eventcollab.flowmap.conformance import marks
from eventcollab.web.flow import FlowPages, whole_of
from eventcollab.web.flow_queries import stored
from eventcollab.web.lists import json_response


class MapSeries(Collector):
    def __init__(self, whole: Any) -> None:
        self.whole = whole

    def collect(self) -> Any:
        flow = self.whole.flow
        return series.families(flow, marks(flow.edges, declared.expected_names()))


def merged_csv(parts: list[str]) -> str:
    """One header, every part's rows; cases in id order, each case's rows as its part gave them
    (one case lives in one partition, so in one part)."""
    rows = [row for part in parts for row in list(csv.reader(io.StringIO(part)))[1:]]
    rows.sort(key=lambda row: row[0])  # stable: a case's events stay in time order
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(export.COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


class FlowExports:
    def __init__(self, pages: FlowPages) -> None:
        self.pages = pages
        self.tracker = pages.tracker

    def states(self) -> dict[str, Any]:
        return {state.correlation_id: state for state in stored(self.tracker)}

    async def parts(self, request: web.Request, path: str, mine: Any) -> Any:
        local = request.query.get("scope") == "local"
        return await self.pages.lists.everywhere(path, request.query, mine, local)

    async def events(self, request: web.Request) -> web.StreamResponse:
        parts = await self.parts(
            request, "/flow/events.csv", lambda: export.event_log_csv(self.states())
        )
        if isinstance(parts, web.Response):
            return parts
        if request.query.get("scope") == "local":
            return json_response(parts)
        return web.Response(text=merged_csv(parts), content_type="text/csv", charset="utf-8")

    async def follows(self, request: web.Request) -> web.Response:
        parts = await self.parts(
            request, "/flow/follows", lambda: export.directly_follows(self.states())
        )
        if isinstance(parts, web.Response):
            return parts
        if request.query.get("scope") == "local":
            return json_response(parts)
        total: Counter[str] = Counter()
        for part in parts:
            total.update(part)
        return json_response(dict(sorted(total.items())))

    async def metrics(self, request: web.Request) -> web.Response:
        parts = await self.pages.whole(request.query)
        if isinstance(parts, web.Response):
            return parts
        registry = CollectorRegistry(auto_describe=False)
        registry.register(MapSeries(whole_of(parts)))
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
