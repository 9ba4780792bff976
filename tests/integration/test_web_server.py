"""The web server's own thread: queries answered while the worker's event loop is busy."""

import json
import socket
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

from eventcollab import topics, web
from eventcollab.codec import encode
from eventcollab.crash.processes import free_port
from eventcollab.runtime.kafka import partition_for
from eventcollab.web.server import WebServer
from tests.integration.fakes import FakeProducer, record
from tests.integration.test_processors import order_placed
from tests.integration.test_web import build_app


async def recorded_workflow(app: Any) -> str:
    placed = order_placed()
    tracker = app.runtime.processor("tracker")
    cid = placed.correlation_id
    tp = TopicPartition(tracker.spec.inputs[0], partition_for(cid, tracker.settings.partitions))
    await tracker.process({tp: [record(tp.topic, tp.partition, 0, cid, encode(placed))]})
    return cid


def server_of(app: Any, port: int) -> WebServer:
    settings = app.runtime.settings
    application = partial(
        web.application, settings, topics.declare(settings), app.runtime, FakeProducer(auto=True)
    )
    return WebServer(application, lambda: ("127.0.0.1", port))


async def test_a_status_query_is_answered_while_the_workers_event_loop_is_blocked(
    tmp_path: Path,
) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    cid = await recorded_workflow(app)
    port = free_port()
    server = server_of(app, port)
    await server.start()
    try:
        # A blocking call holds this event loop, where the processors run, until it returns:
        # served on this loop, the query could only time out.
        url = f"http://127.0.0.1:{port}/workflows/{cid}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    finally:
        await server.stop()

    assert body["correlation_id"] == cid
    assert body["status"] == "in_progress"


async def test_the_server_stops_its_thread_and_frees_its_port(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    port = free_port()
    server = server_of(app, port)
    await server.start()
    await server.stop()

    assert server.thread is not None and not server.thread.is_alive()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # raises if the port were still held


async def test_a_port_in_use_stops_the_start_with_the_error(tmp_path: Path) -> None:
    app = build_app(tmp_path, FakeProducer(auto=True))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = server_of(app, taken.getsockname()[1])
        with pytest.raises(OSError):
            await server.start()
