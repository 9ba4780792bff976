"""Bearer tokens on the HTTP interface: writes need the write token, reads the read token."""

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from eventcollab import auth
from eventcollab.settings import Settings
from tests.integration.fakes import FakeProducer
from tests.integration.test_web import GOOD_ORDER, build_app

WRITE, READ = "w" * 16 + "-write-secret", "r" * 16 + "-read-secret"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def client_for(tmp_path: Path, **tokens: str) -> TestClient[Any, Any]:
    app = build_app(tmp_path, FakeProducer(auto=True), **tokens)
    client = TestClient(TestServer(app.routes))
    await client.start_server()
    return client


async def status(client: TestClient[Any, Any], method: str, path: str, **kw: Any) -> int:
    async with client.request(method, path, **kw) as response:
        return response.status


async def test_with_a_write_token_writes_need_it_and_reads_stay_open(tmp_path: Path) -> None:
    client = await client_for(tmp_path, write_token=WRITE)
    try:
        async with client.post("/orders", json=GOOD_ORDER) as refused:
            assert refused.status == 401
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert WRITE not in await refused.text()
        assert (
            await status(client, "POST", "/orders", json=GOOD_ORDER, headers=bearer("x" * 20))
            == 401
        )
        assert (
            await status(client, "POST", "/orders", json=GOOD_ORDER, headers=bearer(WRITE)) == 202
        )
        assert await status(client, "GET", "/workflows/unknown") == 404  # open: answered
        assert await status(client, "POST", "/workflows/unknown/cancel", json={}) == 401
    finally:
        await client.close()


async def test_with_both_tokens_reads_need_either_and_writes_the_write_token(
    tmp_path: Path,
) -> None:
    client = await client_for(tmp_path, write_token=WRITE, read_token=READ)
    try:
        assert await status(client, "GET", "/workflows/unknown") == 401
        assert await status(client, "GET", "/workflows/unknown", headers=bearer(READ)) == 404
        assert await status(client, "GET", "/workflows/unknown", headers=bearer(WRITE)) == 404
        assert await status(client, "GET", "/", headers=bearer(READ)) == 200
        read_only = await status(client, "POST", "/orders", json=GOOD_ORDER, headers=bearer(READ))
        assert read_only == 403
        assert (
            await status(client, "POST", "/orders", json=GOOD_ORDER, headers=bearer(WRITE)) == 202
        )
    finally:
        await client.close()


async def test_with_only_a_read_token_writes_need_it_too(tmp_path: Path) -> None:
    client = await client_for(tmp_path, read_token=READ)
    try:
        assert await status(client, "POST", "/orders", json=GOOD_ORDER) == 401
        assert await status(client, "POST", "/orders", json=GOOD_ORDER, headers=bearer(READ)) == 202
    finally:
        await client.close()


def test_what_a_worker_sends_to_another_and_never_shows() -> None:
    both = Settings(write_token=WRITE, read_token=READ)
    assert auth.headers(both) == bearer(READ)
    assert auth.headers(both, write=True) == bearer(WRITE)
    assert auth.headers(Settings(write_token=WRITE)) == bearer(WRITE)  # it reads too
    assert auth.headers(Settings()) == {}
    assert WRITE not in repr(both) and READ not in repr(both) and READ not in str(both)


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(write_token="short")
    assert Settings(write_token="").write_token is None
