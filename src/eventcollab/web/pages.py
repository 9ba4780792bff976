"""Pages for people: the dashboard, a page per workflow, and the order form.

Server-rendered from Jinja2 templates with autoescaping, from the same data as the JSON: the
workflow page renders the presentation (eventcollab.presentation) that GET /workflows/{id}
answers, and the dashboard the lists and stats of web.lists. A browser asking for
/workflows/{id} (Accept: text/html) gets the page; programs get JSON at the same URL.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError

from eventcollab.clock import now
from eventcollab.flowmap.drawing import duration
from eventcollab.flowmap.drill import CausalTree, tree_of
from eventcollab.presentation import WorkflowView
from eventcollab.web.lists import STATUSES, Lists
from eventcollab.web.orders import OrderIntake, OrderItem, PlaceOrder, order_placed, reasons
from eventcollab.workflow import TimelineEntry, WorkflowState

TEMPLATES = Environment(
    loader=PackageLoader("eventcollab.web", "templates"),
    autoescape=select_autoescape(["html"]),
)
TEMPLATES.filters["duration"] = duration
LATEST = 10


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "") and (
        request.query.get("format") != "json"
    )


def page(template: str, status: int = 200, **values: Any) -> web.Response:
    html = TEMPLATES.get_template(template).render(**values)
    return web.Response(text=html, status=status, content_type="text/html")


def problem(status: int, title: str, *lines: str) -> web.Response:
    return page("problem.html", status, title=title, lines=lines)


def workflow_page(answer: web.Response, as_of: datetime | None = None) -> web.Response:
    """The page for what GET /workflows/{id} answered (the view, or why there is none); as of
    a time, the page shows how the workflow stood then, and does not follow it live."""
    body = answer.body if isinstance(answer.body, bytes) else b""
    if answer.status in (200, 202):
        view = WorkflowView.model_validate_json(body)
        live = view.status in ("in_progress", "compensating") and as_of is None
        tree = causal_tree(view).lines()
        return page("workflow.html", view=view, as_of=as_of, live=live, tree=tree)
    if answer.status == 404 and as_of is not None:
        return problem(404, "No step yet", f"This workflow had no step by {as_of.isoformat()}.")
    if answer.status == 404:
        return problem(404, "Unknown workflow", "No workflow has this correlation id (yet).")
    response = problem(answer.status, "Not available right now", body.decode(errors="replace"))
    if "Retry-After" in answer.headers:
        response.headers["Retry-After"] = answer.headers["Retry-After"]
    return response


def causal_tree(view: WorkflowView) -> CausalTree:
    """The tree of the steps the page shows (the view may come from the worker that owns the
    workflow: it carries every field of the timeline that the tree needs)."""
    fields = set(TimelineEntry.model_fields)
    timeline = tuple(
        TimelineEntry.model_validate(step.model_dump(include=fields)) for step in view.timeline
    )
    shown = WorkflowState(
        correlation_id=view.correlation_id,
        status=view.status,
        waiting_for=view.waiting_for,
        order=view.order,
        timeline=timeline,
    )
    return tree_of(shown)


class Dashboard:
    def __init__(self, lists: Lists, orders_url: str | None) -> None:
        self.lists, self.orders_url = lists, orders_url
        # The Flow section's HTML, when this worker draws the flow map (web.flow_stream).
        self.flow: Callable[[], Awaitable[str]] | None = None

    async def get(self, request: web.Request) -> web.Response:
        stats = await self.lists.statistics()
        latest = await self.lists.listing({"limit": str(LATEST)}, STATUSES, LATEST, None)
        for found in (stats, latest):
            if isinstance(found, web.Response):
                why = found.text or ""
                return problem(found.status, "The workflows cannot be listed right now", why)
        peak = max((m["count"] for m in stats["finished_per_minute"]), default=0)
        values = {"stats": stats, "latest": latest, "peak": peak, "orders_url": self.orders_url}
        flow = Markup(await self.flow()) if self.flow is not None else None  # rendered escaped
        return page("dashboard.html", flow=flow, **values)

    async def search(self, request: web.Request) -> web.Response:
        wanted = request.query.get("id", "").strip()
        if not wanted:
            return problem(400, "No correlation id", "Type one in the search box.")
        raise web.HTTPSeeOther(request.app.router["workflow"].url_for(correlation_id=wanted))


class OrderForm:
    """POST /orders/form: the dashboard's form, placed like POST /orders, then to its page."""

    def __init__(self, intake: OrderIntake) -> None:
        self.intake = intake

    async def post(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            item = OrderItem(
                sku=str(form.get("sku", "")),
                quantity=int(str(form.get("quantity", "0")) or 0),
                unit_price=str(form.get("unit_price", "")).strip(),  # as a person typed it
            )
            placed = order_placed(
                PlaceOrder(customer_id=str(form.get("customer_id", "")), items=(item,)), now()
            )
        except ValidationError as error:
            shown = [f"{r['field']}: {r['reason']}" for r in reasons(error)]
            return problem(422, "The order was not placed", *shown)
        except ValueError:
            return problem(422, "The order was not placed", "quantity: a whole number")
        url = await self.intake.publish(request, placed)
        if url is None:
            return problem(
                503, "The order was not placed", "The broker did not take it; try again."
            )
        raise web.HTTPSeeOther(url)
