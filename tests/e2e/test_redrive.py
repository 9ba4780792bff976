"""Re-driving a stuck workflow after a fix, on the real broker: shipping dead-letters one order's
StockReserved, is fixed and restarted, and `eventcollab redrive` completes the order with
nothing done twice; the order's status as of a time while it was stuck shows it waiting."""

import subprocess
from datetime import datetime
from typing import Any
from uuid import uuid4

import aiohttp

from eventcollab.redriving import redrive_workflow
from eventcollab.replay.progress import INTERRUPTED, Stop
from eventcollab.settings import Settings
from tests.e2e.conftest import started
from tests.e2e.harness import (
    EVENTCOLLAB,
    Deployment,
    events_on,
    eventually,
    outcome,
    place_order,
    read_topic,
    workflow,
)
from tests.e2e.test_failure_paths import (
    WITHOUT_SHIPPING,
    distinct,
    drained,
    fresh_sku,
    types,
    waiting_for,
)


def order(customer_id: str, sku: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "items": [{"sku": sku, "quantity": 1, "unit_price": "4"}]}


def run(deployment: Deployment, *args: str) -> tuple[int, str]:
    """A command's exit code and output, whatever the code."""
    done = subprocess.run(
        [str(EVENTCOLLAB), *args],
        env=deployment.env("all"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout.decode() + done.stderr.decode()


def settings_of(deployment: Deployment) -> Settings:
    prefix = f"{deployment.run_id}-"
    return Settings(broker=deployment.broker, app_id=deployment.run_id, topic_prefix=prefix)


async def record_counts(deployment: Deployment) -> dict[str, int]:
    names = ("orders", "cancellations", "payments", "inventory", "shipments", "deadlines")
    return {name: len(await read_topic(deployment.topic(name))) for name in names}


def timelines(states: list[Any]) -> list[list[str]]:
    return [[step["event_id"] for step in state["timeline"]] for state in states]


async def test_a_workflow_stuck_on_a_dead_letter_is_re_driven_after_the_fix_and_nothing_twice(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, *WITHOUT_SHIPPING)
    prefix = f"doomed-{uuid4().hex[:6]}"
    deployment.settings["EVENTCOLLAB_FAIL_ON"] = f"shipping:StockReserved:{prefix}"
    shipping = deployment.worker("shipping").start().wait_ready()
    del deployment.settings["EVENTCOLLAB_FAIL_ON"]  # for shipping only, the bug
    pen = fresh_sku("PEN")
    deployment.run_command("restock", pen, "10")

    others = [await place_order(http, deployment.orders_url, order("cora", pen)) for _ in range(2)]
    stuck = await place_order(http, deployment.orders_url, order(f"{prefix}-ann", pen))
    others.append(await place_order(http, deployment.orders_url, order("cora", pen)))
    done = [await outcome(http, deployment.tracker_url, cid) for cid in others]
    assert [state["status"] for state in done] == ["completed"] * 3
    await waiting_for(http, deployment, stuck, "shipping")
    letters = await eventually(lambda: dead_lettered(deployment, stuck))
    assert "InjectedFailure" in letters

    shipping.stop()  # the fix: the same service, without the bug
    shipping.env.pop("EVENTCOLLAB_FAIL_ON")
    shipping.start().wait_ready()
    await drained(deployment)
    assert (await workflow(http, deployment.tracker_url, stuck))["status"] == "in_progress"
    before = await record_counts(deployment)

    interrupted = Stop()
    interrupted.asked = True  # as SIGINT leaves it: stopped before anything was published
    said: list[str] = []
    code = await redrive_workflow(settings_of(deployment), stuck, False, interrupted, said.append)
    assert code == INTERRUPTED and "nothing was published" in said[-1]
    dry = deployment.run_command("redrive", stuck, "--dry-run")
    assert "would re-publish StockReserved" in dry
    assert await record_counts(deployment) == before

    redriven = deployment.run_command("redrive", stuck)
    state = await outcome(http, deployment.tracker_url, stuck)

    assert "waiting for shipping: schedule the shipment" in redriven
    assert f"re-published StockReserved {reserved_id(state)} to" in redriven
    assert f"{deployment.topic('inventory')}[" in redriven
    assert state["status"] == "completed"
    shipments = await events_on(deployment.topic("shipments"))
    payments = await events_on(deployment.topic("payments"))
    assert distinct(shipments, "ShipmentScheduled", stuck) == 1
    assert distinct(payments, "PaymentAuthorized", stuck) == 1
    after = [await workflow(http, deployment.tracker_url, cid) for cid in others]
    assert timelines(after) == timelines(done)  # the other orders untouched
    assert "anomalies    0" in deployment.run_command("audit", "--grace", "0")

    counts = await record_counts(deployment)
    code, again = run(deployment, "redrive", stuck)
    assert code == 1 and "completed: nothing to re-drive" in again
    code, unknown = run(deployment, "redrive", str(uuid4()))
    assert code == 1 and "nothing to re-drive" in unknown
    assert await record_counts(deployment) == counts

    # Looking back: while it was stuck, the completed order waited for shipping.
    reserved, scheduled = (occurred(state, kind) for kind in ("StockReserved", "ShipmentScheduled"))
    between = (reserved + (scheduled - reserved) / 2).isoformat()
    url = f"{deployment.tracker_url}/workflows/{stuck}"
    async with http.get(url, params={"as_of": between}) as answer:
        assert answer.status == 200
        then = await answer.json()
    async with http.get(url, params={"as_of": "2000-01-01T00:00:00"}) as early:
        assert early.status == 404
    async with http.get(url, params={"as_of": between, "wait": "terminal"}) as waiting:
        assert waiting.status == 400
    printed = deployment.run_command("status", stuck, "--as-of", between)

    assert then["status"] == "in_progress"
    assert then["waiting_for"] == {"service": "shipping", "action": "schedule the shipment"}
    assert types(then) == ["OrderPlaced", "PaymentAuthorized", "StockReserved"]
    assert "status    in_progress" in printed
    assert "waiting   shipping: schedule the shipment" in printed
    assert "as of     " in printed and "ShipmentScheduled" not in printed


def occurred(state: dict[str, Any], kind: str) -> datetime:
    step = next(step for step in state["timeline"] if step["event_type"] == kind)
    return datetime.fromisoformat(step["occurred_at"])


def reserved_id(state: dict[str, Any]) -> str:
    step = next(step for step in state["timeline"] if step["event_type"] == "StockReserved")
    return str(step["event_id"])


async def dead_lettered(deployment: Deployment, correlation_id: str) -> str | None:
    code, listed = run(deployment, "dead-letters", "--service", "shipping", "--id", correlation_id)
    return listed if code == 0 and "dead letters  1 " in listed else None
