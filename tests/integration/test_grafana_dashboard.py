"""The Grafana dashboard in the repository asks only for series the workers really serve."""

import json
import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.fakes import FakeProducer
from tests.integration.test_queries import Tracker
from tests.integration.test_web import build_app
from tests.unit.builders import happy_path

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "eventcollab.json"
NAME = re.compile(r"\b(eventcollab_[a-z_]+)")


def served(text: str) -> set[str]:
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


async def test_every_series_the_dashboard_queries_is_served(tmp_path: Path) -> None:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in NAME.findall(target["expr"])
    }
    app = build_app(tmp_path, FakeProducer(auto=True))
    await Tracker(app).record(*happy_path())
    consumer = app.runtime.processor("tracker").consumer
    consumer.highwaters = {tp: 1 for tp in consumer.assignment()}  # fetched: lag is known
    async with TestClient(TestServer(app.routes)) as client:
        names = served(await (await client.get("/metrics")).text())
        names |= served(await (await client.get("/flow/metrics")).text())

    assert len(asked) >= 12
    assert sorted(asked - names) == []
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
