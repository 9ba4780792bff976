"""Bearer tokens on the real broker: writes refused without the write token and accepted with
it, reads with the read token only, and the workers (and the commands) passing theirs on to each
other: two tracker workers answer for every workflow, half of them forwarded."""

from typing import Any
from uuid import uuid4

import aiohttp

from tests.e2e.conftest import started
from tests.e2e.harness import Deployment, outcome, place_order
from tests.e2e.test_flow_map import one_line

WRITE, READ = "write-" + uuid4().hex, "read-" + uuid4().hex
ORDERS = 6


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_guard_writes_and_reads_and_workers_pass_theirs_on(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    deployment.settings |= {"EVENTCOLLAB_WRITE_TOKEN": WRITE, "EVENTCOLLAB_READ_TOKEN": READ}
    started(deployment, "orders", "payments", "inventory", "shipping")
    first = deployment.worker("tracker").start()
    second = deployment.worker("tracker", label="tracker-2").start()
    first.wait_ready()
    second.wait_ready()
    pen = f"PEN-{uuid4().hex[:8]}"
    deployment.run_command("restock", pen, str(ORDERS))
    body: dict[str, Any] = one_line(pen, "1.00")

    async with http.post(f"{deployment.orders_url}/orders", json=body) as refused:
        assert refused.status == 401, await refused.text()
    async with http.post(
        f"{deployment.orders_url}/orders", json=body, headers=bearer(READ)
    ) as read_only:
        assert read_only.status == 403
    async with aiohttp.ClientSession(headers=bearer(WRITE)) as writer:
        placed = [await place_order(writer, deployment.orders_url, body) for _ in range(ORDERS)]

    async with aiohttp.ClientSession(headers=bearer(READ)) as reader:
        for url in (first.url, second.url):  # each forwards what the other owns, with its token
            for cid in placed:
                assert (await outcome(reader, url, cid))["status"] == "completed"
    async with http.get(f"{first.url}/workflows/{placed[0]}") as unread:
        assert unread.status == 401
    assert "status    completed" in deployment.run_command("status", placed[0])
    for worker in deployment.workers:
        assert WRITE not in worker.log.read_text() and READ not in worker.log.read_text()
