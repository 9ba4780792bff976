"""Shadow replay on the real broker: a lower payment limit tried against the log of a worker
with the default one, publishing nothing; the tracker's dry run of one workflow."""

import asyncio
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.e2e.conftest import started
from tests.e2e.harness import BOOTSTRAP, EVENTCOLLAB, Deployment, outcome, place_order

# Totals: below 100, between 100 and the default limit of 5000.00, and above it.
BELOW, BETWEEN, ABOVE = ("40.00", "99.99"), ("100.01", "2500.00", "4999.99"), ("5000.01",)
SHORT = "13.00"  # an order out of stock: payments reads its OrderPlaced and StockUnavailable
UUID_LINE = re.compile(r"^[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = started(Deployment(tmp_path_factory.mktemp("shadow")), "all")
    yield deployment
    deployment.stop()
    assert deployment.crashes() == []


@pytest.fixture(scope="module")
def orders(logged: Deployment) -> dict[str, str]:
    """Each order's total by correlation id, once every order has concluded."""
    sku = f"TV-{uuid4().hex[:8]}"
    logged.run_command("restock", sku, "100")
    return asyncio.run(place_and_conclude(logged, sku))


async def place_and_conclude(logged: Deployment, sku: str) -> dict[str, str]:
    placed: dict[str, str] = {}
    async with aiohttp.ClientSession() as http:
        for total in (*BELOW, *BETWEEN, *ABOVE):
            body = {
                "customer_id": "ann",
                "items": [{"sku": sku, "quantity": 1, "unit_price": total}],
            }
            placed[await place_order(http, logged.orders_url, body)] = total
        # Out of stock on its second line: a reservation released, a refund, a cancellation.
        short = f"INK-{uuid4().hex[:8]}"
        lines = [(sku, 1, "10.00"), (short, 1, "3.00")]
        items = [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]
        placed[
            await place_order(http, logged.orders_url, {"customer_id": "bob", "items": items})
        ] = SHORT
        for correlation_id in placed:
            await outcome(http, logged.tracker_url, correlation_id)
    return placed


def shadow(deployment: Deployment, *args: str, limit: str | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [str(EVENTCOLLAB), "shadow", *args],
        env=env_of(deployment, limit),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout.decode()


def env_of(deployment: Deployment, limit: str | None) -> dict[str, str]:
    env = deployment.env("all") | {"PYTHONUNBUFFERED": "1"}
    return env | ({"EVENTCOLLAB_PAYMENT_LIMIT": limit} if limit else {})


def listed(output: str) -> dict[str, list[str]]:
    """The report: the difference lines under each correlation id."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in output.splitlines():
        if UUID_LINE.match(line):
            current = found.setdefault(line, [])
        elif line.startswith("    would"):
            current.append(line.strip())
    return found


def report_of(output: str) -> list[str]:
    """What follows the announcement: the findings and the summary."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("shadow replay of"))
    return lines[start + 1 :]


async def end_offsets(run_id: str) -> dict[TopicPartition, int]:
    """Every partition of every topic of the deployment (changelogs and dead letters too)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(run_id)]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    partitions = [
        TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
    ]
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def test_a_lower_payment_limit_lists_exactly_the_orders_it_would_decline_now(
    logged: Deployment, orders: dict[str, str]
) -> None:
    before = await end_offsets(logged.run_id)

    code, lowered = shadow(logged, "payments", limit="100")
    code_default, unchanged = shadow(logged, "payments")

    assert (code, code_default) == (0, 0), lowered + unchanged
    found = listed(lowered)
    between = {cid for cid, total in orders.items() if total in BETWEEN}
    above = {cid for cid, total in orders.items() if total in ABOVE}
    # Authorized in the log, declined now: the orders between 100 and 5000, and only those.
    changed = {cid for cid, lines in found.items() if any("would not publish" in x for x in lines)}
    assert changed == between
    for cid in between:
        assert [line.rsplit(" ", 1)[0] for line in found[cid]] == [
            "would not publish PaymentAuthorized",
            "would publish PaymentDeclined",
        ]
    # Declined either way; what changes is the limit the published reason names.
    for cid in above:
        (line,) = found[cid]
        assert line.startswith("would publish PaymentDeclined")
        assert line.endswith(
            f"differently: reason 'order total {orders[cid]} exceeds the payment limit 5000.00'"
            f" -> 'order total {orders[cid]} exceeds the payment limit 100'"
        )
    assert found.keys() == between | above  # nothing for the orders below 100
    # The decision changes for exactly the orders between 100 and 5000; for those above, only
    # the wording of what is published.
    assert f"decisions changed (other events published): {len(between)} (" in lowered
    [decided] = [x for x in lowered.splitlines() if x.startswith("decisions changed")]
    assert set(decided.split("(")[-1].rstrip(")").split(", ")) == between
    [worded] = [x for x in lowered.splitlines() if x.startswith("same decisions")]
    assert set(worded.split("(")[-1].rstrip(")").split(", ")) == above
    identical = len(BELOW) + 2  # the order out of stock: authorized, then refunded, as before
    assert f"identical {identical}, different {len(BETWEEN) + len(ABOVE)}" in lowered
    assert listed(unchanged) == {}
    assert f"identical {len(orders) + 1}, different 0" in unchanged
    assert await end_offsets(logged.run_id) == before  # nothing published, no state written


@pytest.mark.parametrize("processor", ["orders", "payments", "inventory", "stock", "shipping"])
def test_with_the_settings_of_the_log_every_processor_decides_what_the_log_shows(
    logged: Deployment, orders: dict[str, str], processor: str
) -> None:
    code, output = shadow(logged, processor)

    assert code == 0, output
    assert listed(output) == {}
    assert "different 0" in output and "compared 0" not in output


async def test_the_tracker_dry_run_of_one_workflow_matches_its_live_status(
    logged: Deployment, orders: dict[str, str]
) -> None:
    correlation_id = next(cid for cid, total in orders.items() if total in BETWEEN)

    code, output = shadow(logged, "tracker", "--id", correlation_id)

    assert code == 0, output
    folded, live = output.split(f"live ({logged.tracker_url}/workflows/{correlation_id})\n")
    assert folded.startswith("from the log (folded now)\n")
    assert f"workflow  {correlation_id}\nstatus    completed" in folded
    assert live.endswith("match: the fold of the log is the live status\n")
    assert folded.removeprefix("from the log (folded now)\n") == live.split("match:")[0]


async def test_an_interrupted_shadow_replay_resumed_gives_the_report_of_an_uninterrupted_one(
    logged: Deployment, orders: dict[str, str]
) -> None:
    code, whole = shadow(logged, "payments", limit="100")
    assert code == 0, whole

    # Paced, so that SIGINT lands while it reads; it stops between two records.
    interrupted = subprocess.Popen(
        [str(EVENTCOLLAB), "shadow", "payments", "--rate", "5"],
        env=env_of(logged, "100"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert interrupted.stdout is not None
    first = [interrupted.stdout.readline().decode()]
    while not first[-1].startswith("shadow replay of"):
        assert first[-1], "the replay ended before it began"
        first.append(interrupted.stdout.readline().decode())
    interrupted.send_signal(signal.SIGINT)
    rest = interrupted.stdout.read().decode()
    assert interrupted.wait(60) == 130, rest
    assert "interrupted: run the same command again to resume" in rest
    checkpoints = list(Path(logged.datadir("all"), "replay").glob("shadow-payments-*.json"))
    assert len(checkpoints) == 1

    code, resumed = shadow(logged, "payments", limit="100")

    assert code == 0, resumed
    assert "resuming from" in resumed
    total = int(first[-1].split(": ")[1].split()[0])
    assert int(resumed.split("shadow replay of payments: ")[1].split()[0]) < total
    assert report_of(resumed) == report_of(whole)
    assert not checkpoints[0].exists()  # a finished replay leaves no checkpoint
