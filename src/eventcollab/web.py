"""HTTP views on the Faust web server: place an order, ask where a workflow stands."""

from typing import Annotated, Any
from uuid import uuid4

from faust.web import Request, Response, View
from pydantic import Field, ValidationError

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.domain.inventory import StockLevel
from eventcollab.models import Frozen, Order, OrderLine, OrderPlaced
from eventcollab.runtime.processor import Processor
from eventcollab.runtime.worker import Runtime
from eventcollab.settings import Settings
from eventcollab.workflow import WorkflowState

JSON = "application/json"


class PlaceOrder(Frozen):
    customer_id: Annotated[str, Field(min_length=1, max_length=100)]
    items: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=100)]


def order_placed(request: PlaceOrder, now: Any) -> OrderPlaced:
    """The first event of a new workflow; its ids are the only random ones in a workflow."""
    return OrderPlaced(
        event_id=uuid4(),
        correlation_id=str(uuid4()),
        causation_id=None,
        occurred_at=now,
        producer="orders",
        order=Order.of(request.customer_id, request.items),
    )


def reasons(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(part) for part in e["loc"]), "reason": e["msg"]}
        for e in error.errors(include_url=False, include_input=False)
    ]


def install_order_intake(app: Any, settings: Settings, runtime: Runtime, topic: str) -> None:
    @app.page("/orders")
    class OrderIntake(View):
        async def post(self, request: Request) -> Response:
            try:
                placed = order_placed(PlaceOrder.model_validate_json(await request.read()), now())
            except ValidationError as error:
                return self.json({"error": "invalid order", "reasons": reasons(error)}, status=422)
            # Answer only once the broker has the event: a 202 promises the workflow exists.
            key = placed.correlation_id.encode()
            await (await runtime.producer.send(topic, encode(placed), key=key))
            tracker = settings.tracker_url or str(request.url.origin())
            url = f"{tracker}/workflows/{placed.correlation_id}"
            body = {"correlation_id": placed.correlation_id, "status_url": url}
            return self.json(body, status=202, headers={"Location": url})


def install_workflow_view(app: Any, tracker: Processor) -> None:
    @app.page("/workflows/{correlation_id}")
    class WorkflowStatus(View):
        async def get(self, request: Request, correlation_id: str) -> Response:
            if not tracker.serving:
                return self.error(503, "workflow state is recovering", headers={"Retry-After": "1"})
            state = tracker.lookup("workflows", correlation_id, WorkflowState)
            if state is None:
                return self.error(404, "unknown workflow", correlation_id=correlation_id)
            return self.bytes(encode(state), content_type=JSON)


def install_stock_view(app: Any, stock: Processor) -> None:
    @app.page("/stock/{sku}")
    class StockOnHand(View):
        async def get(self, request: Request, sku: str) -> Response:
            if not stock.serving:
                return self.error(503, "stock is recovering", headers={"Retry-After": "1"})
            level = stock.lookup("stock", sku, StockLevel) or StockLevel(available=0)
            return self.json({"sku": sku, "available": level.available})
