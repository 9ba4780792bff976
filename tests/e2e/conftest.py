"""End-to-end fixtures: every test here crosses the real Kafka broker that scripts/test starts."""

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.harness import BOOTSTRAP, Deployment


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def broker_is_up() -> None:
    """No broker is a failure, never a skip: start it with `scripts/broker start`."""
    host, port = BOOTSTRAP.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as error:
        pytest.fail(f"Kafka broker at {BOOTSTRAP} unreachable ({error}); run scripts/test")


def started(deployment: Deployment, *services: str) -> Deployment:
    workers = [deployment.worker(service).start() for service in services]
    for worker in workers:
        worker.wait_ready()
    return deployment


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One worker running every service, shared by a module's tests (each uses fresh SKUs)."""
    deployment = started(Deployment(tmp_path_factory.mktemp("shared")), "all")
    yield deployment
    deployment.stop()
    assert deployment.crashes() == []


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path)
    yield deployment
    deployment.stop()
    assert deployment.crashes() == []


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session
