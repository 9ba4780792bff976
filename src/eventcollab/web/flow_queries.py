"""The flow map's questions about workflows, answered over every tracker worker:

- GET /flow/stuck: per node, the workflows waiting after it longer than their share of the
  awaited step's deadline (flowmap.stuck);
- GET /flow/edges/{edge} and /flow/nodes/{node}: the workflows that took an edge or reached a
  node, slowest first, and those of them that failed (flowmap.drill);
- GET /flow/as-of?at=...: the map as the tracker would have served it then (flowmap.windows);
- GET /flow/diff?a=START/END&b=START/END: the maps of the workflows started in two windows,
  compared node by node and edge by edge.

Each worker reads the stored workflows of the partitions it owns; the worker asked merges the
parts like GET /flow does.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from eventcollab.agents.tracker import limits_of
from eventcollab.flowmap import drill, windows
from eventcollab.flowmap.partition import folded
from eventcollab.flowmap.stuck import Stuck, stuck_of
from eventcollab.runtime.processor import Processor
from eventcollab.web.answers import error
from eventcollab.web.flow import FlowPages, part_json, whole_of
from eventcollab.web.flow_pages import drill_page
from eventcollab.web.lists import json_response, owned_stores, summaries
from eventcollab.web.pages import wants_html
from eventcollab.workflow import WorkflowState

TABLE = b"workflows/"


def stored(tracker: Processor) -> Iterator[WorkflowState]:
    """Every workflow of the partitions this worker owns."""
    for store in owned_stores(tracker):
        for _, raw in store.scan(TABLE):
            yield WorkflowState.model_validate_json(raw)


def in_progress(tracker: Processor, started_before: datetime) -> Iterator[WorkflowState]:
    """The workflows in progress on this worker's partitions that started before the instant,
    oldest first: a workflow can be stuck only once it is older than the shortest limit, so the
    younger ones, most of them in a healthy flow, are never read."""
    for store in owned_stores(tracker):
        for _, summary in summaries(store, "in_progress", None, backwards=True):
            if summary.started_at >= started_before:
                break
            raw = store.get(TABLE + summary.correlation_id.encode())
            if raw is not None:
                yield WorkflowState.model_validate_json(raw)


def instant(value: str | None, name: str) -> datetime:
    if not value:
        raise ValueError(f"{name} is required: an ISO 8601 time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 time, not {value!r}") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def window(value: str | None, name: str) -> tuple[datetime, datetime]:
    start, _, end = (value or "").partition("/")
    begins, ends = instant(start, f"{name}'s start"), instant(end, f"{name}'s end")
    if ends <= begins:
        raise ValueError(f"{name} must end after it starts: START/END")
    return begins, ends


class FlowQueries:
    def __init__(self, pages: FlowPages) -> None:
        self.pages = pages
        self.tracker = pages.tracker
        self.limits = limits_of(self.tracker.settings)

    async def asked(
        self, request: web.Request, path: str, mine: Any
    ) -> tuple[list[Any] | None, web.Response | None]:
        """The parts of every worker, or this worker's part as the whole answer (`?scope=local`)
        or an error response."""
        local = request.query.get("scope") == "local"
        parts = await self.pages.lists.everywhere(path, request.query, mine, local)
        if isinstance(parts, web.Response):
            return None, parts
        return (None, json_response(parts)) if local else (parts, None)

    async def stuck(self, request: web.Request) -> web.Response:
        if request.query.get("scope") == "local":
            return json_response(await self.stuck_part(request.query))
        whole = await self.merged_stuck(request.query)
        if isinstance(whole, web.Response):
            return whole
        return json_response(
            {"workflows": whole.workflows, "ratio": self.ratio} | whole.model_dump(mode="json")
        )

    @property
    def ratio(self) -> float:
        return self.tracker.settings.flow_stuck_ratio

    def stuck_here(self) -> Any:
        now = datetime.now(UTC)
        old_enough = now - self.limits.shortest * self.ratio
        waiting = in_progress(self.tracker, old_enough)
        return stuck_of(waiting, self.limits, self.ratio, now).model_dump(mode="json")

    async def stuck_part(self, query: Mapping[str, str]) -> Any:
        return await self.pages.lists.everywhere("/flow/stuck", query, self.stuck_here, True)

    async def merged_stuck(self, query: Mapping[str, str]) -> Stuck | web.Response:
        """The stuck workflows of every worker, merged; or the error response."""
        parts = await self.pages.lists.everywhere("/flow/stuck", query, self.stuck_here, False)
        if isinstance(parts, web.Response):
            return parts
        whole = Stuck()
        for part in parts:
            whole = whole.merge(Stuck.model_validate(part))
        return whole

    async def edge(self, request: web.Request) -> web.Response:
        edge = request.match_info["edge"]
        return await self.drilled(
            request,
            f"/flow/edges/{edge}",
            lambda states: drill.on_edge(states, edge),
            drill.EdgeWorkflows,
        )

    async def node(self, request: web.Request) -> web.Response:
        node = request.match_info["node"]
        return await self.drilled(
            request,
            f"/flow/nodes/{node}",
            lambda states: drill.on_node(states, node),
            drill.NodeWorkflows,
        )

    async def drilled(
        self, request: web.Request, path: str, answer: Any, model: Any
    ) -> web.Response:
        parts, response = await self.asked(
            request, path, lambda: answer(stored(self.tracker)).model_dump(mode="json")
        )
        if parts is None:
            assert response is not None
            return response
        whole = model.model_validate(parts[0])
        for part in parts[1:]:
            whole = whole.merge(model.model_validate(part))
        if wants_html(request):
            return drill_page(whole)
        return json_response(whole.model_dump(mode="json"))

    async def as_of(self, request: web.Request) -> web.Response:
        try:
            at = instant(request.query.get("at"), "at")
        except ValueError as wrong:
            return error(400, str(wrong))
        expected = self.pages.view.expected

        def mine() -> Any:
            then = (windows.as_of(state, at) for state in stored(self.tracker))
            return part_json([folded((s for s in then if s is not None), expected)])

        parts, response = await self.asked(request, "/flow/as-of", mine)
        if parts is None:
            assert response is not None
            return response
        return json_response({"as_of": at.isoformat()} | whole_of(parts).as_json())

    async def diff(self, request: web.Request) -> web.Response:
        try:
            a, b = window(request.query.get("a"), "a"), window(request.query.get("b"), "b")
        except ValueError as wrong:
            return error(400, str(wrong))
        expected = self.pages.view.expected

        def mine() -> Any:
            states = list(stored(self.tracker))
            return {
                name: part_json([folded(windows.started_between(states, *span), expected)])
                for name, span in (("a", a), ("b", b))
            }

        parts, response = await self.asked(request, "/flow/diff", mine)
        if parts is None:
            assert response is not None
            return response
        first, second = (whole_of([p[name] for p in parts]) for name in ("a", "b"))
        return json_response(
            {
                "a": windowed(a, first.as_json()),
                "b": windowed(b, second.as_json()),
                "diff": windows.map_diff(first.flow, second.flow).model_dump(mode="json"),
            }
        )


def windowed(span: tuple[datetime, datetime], report: Mapping[str, Any]) -> dict[str, Any]:
    return {"start": span[0].isoformat(), "end": span[1].isoformat()} | dict(report)
