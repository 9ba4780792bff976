"""Secure connections end to end: a private broker whose only listener for the workers is
SASL_SSL (SCRAM-SHA-256, a CA made for the run). Orders complete and `status` answers over it;
a wrong password, and a CA that did not sign the broker's certificate, each stop a worker and a
command at start with exit code 1 and a message naming the cause, within seconds."""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import aiohttp
import pytest

from eventcollab.crash.broker import PrivateBroker
from eventcollab.crash.processes import free_port
from eventcollab.crash.secure import SecureListener, make_ca
from tests.e2e.conftest import started
from tests.e2e.harness import EVENTCOLLAB, Deployment, Worker, outcome, place_order
from tests.e2e.test_flow_map import one_line

USER, PASSWORD = "alice", "alice-" + uuid4().hex
ORDERS = 4
# A refused worker stops in about a second; retrying the broker would take minutes.
REFUSED_WITHIN = 20.0


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureListener]:
    home = tmp_path_factory.mktemp("secure")
    listener = SecureListener(home / "tls", free_port(), {USER: PASSWORD})
    broker = PrivateBroker(home / "broker", secure=listener)
    broker.start()
    try:
        yield listener
    finally:
        broker.remove()


def secure_deployment(root: Path, listener: SecureListener, **changed: str) -> Deployment:
    settings = {
        "EVENTCOLLAB_SECURITY_PROTOCOL": "SASL_SSL",
        "EVENTCOLLAB_SASL_MECHANISM": "SCRAM-SHA-256",
        "EVENTCOLLAB_SASL_USERNAME": USER,
        "EVENTCOLLAB_SASL_PASSWORD": PASSWORD,
        "EVENTCOLLAB_SSL_CAFILE": str(listener.ca),
        "EVENTCOLLAB_PARTITIONS": "2",
    }
    settings |= {f"EVENTCOLLAB_{name}": value for name, value in changed.items()}
    root.mkdir(parents=True, exist_ok=True)
    return Deployment(root, broker=f"kafka://{listener.bootstrap}", settings=settings)


def refused(worker: Worker) -> tuple[int | None, float, str]:
    """How the worker ended, how long after its start, and what it logged."""
    assert worker.process is not None
    try:
        code = worker.process.wait(REFUSED_WITHIN * 3)
    except subprocess.TimeoutExpired:
        worker.stop()
        raise AssertionError(f"still running\n{worker.tail()}") from None
    return code, time.monotonic() - worker.started_at, worker.since_start()


async def test_orders_complete_over_sasl_ssl_and_status_answers(
    listener: SecureListener, tmp_path: Path
) -> None:
    deployment = secure_deployment(tmp_path, listener)
    try:
        started(deployment, "all")
        pen = f"PEN-{uuid4().hex[:8]}"
        deployment.run_command("restock", pen, str(ORDERS))  # a command over SASL_SSL too
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            placed = [
                await place_order(http, deployment.orders_url, one_line(pen, "1.00"))
                for _ in range(ORDERS)
            ]
            for cid in placed:
                assert (await outcome(http, deployment.tracker_url, cid))["status"] == "completed"
        assert "status    completed" in deployment.run_command("status", placed[0])
        log = deployment.workers[0].log.read_text()
        # Every client of the worker, Faust's own included, connected the same way.
        assert "Unable connect" not in log, log
        assert PASSWORD not in log
    finally:
        deployment.stop()
    assert deployment.crashes() == []


@pytest.mark.parametrize(
    ("changed", "cause"),
    [
        (
            {"SASL_PASSWORD": "not-" + PASSWORD},
            f"authentication failed for user '{USER}' at 127.0.0.1:{{port}}: "
            "wrong password or mechanism (SCRAM-SHA-256)",
        ),
        (
            {"SSL_CAFILE": "{other}"},
            "TLS: the broker's certificate is not trusted by EVENTCOLLAB_SSL_CAFILE={other}",
        ),
    ],
    ids=["wrong-password", "untrusted-certificate"],
)
def test_a_refused_worker_and_command_stop_at_once_naming_the_cause(
    listener: SecureListener, tmp_path: Path, changed: dict[str, str], cause: str
) -> None:
    other = make_ca(tmp_path / "other-ca", "another CA")
    changed = {name: value.format(other=other) for name, value in changed.items()}
    cause = cause.format(port=listener.port, other=other)
    deployment = secure_deployment(tmp_path / "run", listener, **changed)

    worker = deployment.worker("all").start()
    code, seconds, log = refused(worker)
    assert code == 1, log
    assert cause in log, log
    assert "Traceback" not in log, log  # one line names the cause
    assert seconds < REFUSED_WITHIN, log
    assert "not-" + PASSWORD not in log and PASSWORD not in log

    began = time.monotonic()
    command = subprocess.run(
        [str(EVENTCOLLAB), "restock", "PEN", "1"],
        env=deployment.env("all"),
        capture_output=True,
        text=True,
        timeout=REFUSED_WITHIN * 3,
        check=False,
    )
    assert command.returncode == 1, command.stdout + command.stderr
    assert cause in command.stderr and "Traceback" not in command.stderr, command.stderr
    assert time.monotonic() - began < REFUSED_WITHIN
