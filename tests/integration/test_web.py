"""HTTP views through aiohttp's test client on Faust's web app: no broker, sends captured."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import AsyncMock
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient, TestServer

from eventcollab.app import create_app
from eventcollab.codec import decode_event
from eventcollab.settings import Settings

GOOD_ORDER = {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 2, "unit_price": "1.50"}]}


def build_app(**settings: Any) -> Any:
    app = create_app(Settings(app_id=f"web-{uuid4().hex[:8]}", **settings), store="memory://")
    app.finalize()
    app.tables.recovery.completed.set()
    acked = asyncio.get_running_loop().create_future()  # send() returns the broker's ack
    acked.set_result(None)
    app.workflow_topics.orders.send = AsyncMock(return_value=acked)
    return app


@pytest.fixture
async def app() -> Any:
    return build_app(tracker_url="http://tracker.test")


@pytest.fixture
async def client(app: Any) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(await app.web.wsgi())) as client:
        yield client


async def test_a_valid_order_is_accepted_and_published_keyed_by_its_correlation_id(
    app: Any, client: TestClient[Any, Any]
) -> None:
    response = await client.post("/orders", json=GOOD_ORDER)

    assert response.status == 202
    body = await response.json()
    [call] = app.workflow_topics.orders.send.await_args_list
    placed = decode_event(call.kwargs["value"])
    assert call.kwargs["key"] == body["correlation_id"] == placed.correlation_id
    assert body["status_url"] == f"http://tracker.test/workflows/{placed.correlation_id}"
    assert placed.event_type == "OrderPlaced"
    assert str(placed.order.total) == "3.00"


@pytest.mark.parametrize(
    "body",
    [
        {"items": GOOD_ORDER["items"]},
        {"customer_id": "ann", "items": []},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 0, "unit_price": "1"}]},
        {"customer_id": "ann", "items": [{"sku": "PEN", "quantity": 1, "unit_price": "-1"}]},
        {"customer_id": "ann", "items": [GOOD_ORDER["items"][0], GOOD_ORDER["items"][0]]},
    ],
)
async def test_an_invalid_order_gets_422_with_reasons_and_publishes_nothing(
    app: Any, client: TestClient[Any, Any], body: dict[str, Any]
) -> None:
    response = await client.post("/orders", json=body)

    assert response.status == 422
    assert (await response.json())["reasons"]
    app.workflow_topics.orders.send.assert_not_awaited()


async def test_malformed_json_gets_422(app: Any, client: TestClient[Any, Any]) -> None:
    response = await client.post("/orders", data=b"{not json")

    assert response.status == 422
    app.workflow_topics.orders.send.assert_not_awaited()


async def test_an_unknown_workflow_is_404(client: TestClient[Any, Any]) -> None:
    response = await client.get(f"/workflows/{uuid4()}")

    assert response.status == 404


async def test_status_is_503_while_tables_recover(app: Any, client: TestClient[Any, Any]) -> None:
    app.tables.recovery.completed.clear()

    response = await client.get(f"/workflows/{uuid4()}")

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"


async def test_without_a_tracker_url_the_status_url_points_at_the_server_taking_the_order() -> None:
    async with TestClient(TestServer(await build_app().web.wsgi())) as client:
        response = await client.post("/orders", json=GOOD_ORDER)
        body = await response.json()
        origin = f"http://{client.host}:{client.port}"

    assert body["status_url"] == f"{origin}/workflows/{body['correlation_id']}"
