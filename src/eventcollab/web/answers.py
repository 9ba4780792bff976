"""The JSON error answer every view gives."""

from collections.abc import Mapping

from aiohttp import web


def error(status: int, reason: str, **details: str) -> web.Response:
    headers = {"Retry-After": "1"} if status == 503 else None
    return web.json_response({"error": reason, **details}, status=status, headers=headers)


def seconds_in(
    query: Mapping[str, str], name: str, default: float, low: float, high: float
) -> float:
    """The query's `name` in seconds, from `low` to `high` (`default` when it is not given);
    ValueError says what is wrong with it."""
    given = query.get(name)
    if given is None:
        return default
    try:
        seconds = float(given)
    except ValueError:
        seconds = low - 1
    if not low <= seconds <= high:
        raise ValueError(f"{name} must be seconds from {low:g} to {high:g}")
    return seconds
