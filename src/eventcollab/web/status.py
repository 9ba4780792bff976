"""Read-only views of stored state: where a workflow stands, how much stock is on hand."""

from aiohttp import web

from eventcollab.domain.inventory import StockLevel
from eventcollab.runtime.processor import Processor

JSON = "application/json"


def error(status: int, reason: str, **details: str) -> web.Response:
    headers = {"Retry-After": "1"} if status == 503 else None
    return web.json_response({"error": reason, **details}, status=status, headers=headers)


class WorkflowStatus:
    def __init__(self, tracker: Processor) -> None:
        self.tracker = tracker

    async def get(self, request: web.Request) -> web.Response:
        correlation_id = request.match_info["correlation_id"]
        if not self.tracker.serving:
            return error(503, "workflow state is recovering")
        # The state as the tracker stored it, which is its JSON: decoding and encoding it again
        # gives the same bytes for 25 us more of the interpreter per query.
        stored = self.tracker.stored("workflows", correlation_id)
        if stored is None:
            return error(404, "unknown workflow", correlation_id=correlation_id)
        return web.Response(body=stored, content_type=JSON)


class StockOnHand:
    def __init__(self, stock: Processor) -> None:
        self.stock = stock

    async def get(self, request: web.Request) -> web.Response:
        sku = request.match_info["sku"]
        if not self.stock.serving:
            return error(503, "stock is recovering")
        level = self.stock.lookup("stock", sku, StockLevel) or StockLevel(available=0)
        return web.json_response({"sku": sku, "available": level.available})
