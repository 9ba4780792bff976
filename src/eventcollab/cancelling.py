"""`eventcollab cancel ID [--reason TEXT]`: ask the orders service to cancel an order."""

from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson
from faust.cli import argument, option

from eventcollab import auth
from eventcollab.settings import Settings


async def cancel_order(
    url: str, reason: str | None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    body = {"reason": reason} if reason else {}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(url, json=body) as response,
    ):
        answer: dict[str, Any] = orjson.loads(await response.read())
        return response.status, answer


def install_cancel_command(app: Any, settings: Settings) -> None:
    @app.command(
        argument("correlation_id"),
        option("--reason", default=None, help="Why, as the status will show it."),
    )
    async def cancel(self: Any, correlation_id: str, reason: str | None) -> None:
        """Cancel an order in progress: what was done for it is undone, then it is cancelled."""
        base = settings.orders_url or settings.local_url
        url = f"{base}/workflows/{correlation_id}/cancel"
        try:
            status, answer = await cancel_order(url, reason, auth.headers(settings, write=True))
        except aiohttp.ClientError as error:
            self.say(f"orders service unreachable at {base}: {error}")
            raise SystemExit(1) from error
        if status != 202:
            self.say(f"{status}: {answer.get('error', answer)}")
            raise SystemExit(1)
        self.say(f"{answer['status']}: {answer['status_url']}")
