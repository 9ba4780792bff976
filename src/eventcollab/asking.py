"""The terminal commands' one way to ask a tracker worker over HTTP."""

from collections.abc import Callable, Mapping

import aiohttp


async def ask_tracker(
    url: str,
    say: Callable[[str], None],
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of a 200 answer; anything else is said and ends the command with exit code 1."""
    try:
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.get(url, params=params) as response,
        ):
            body = await response.read()
    except aiohttp.ClientError as error:
        say(f"tracker unreachable at {url}: {error}")
        raise SystemExit(1) from error
    if response.status != 200:
        say(f"{response.status}: {body.decode(errors='replace')}")
        raise SystemExit(1)
    return body
