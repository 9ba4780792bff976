"""The JSON error answer every view gives."""

from aiohttp import web


def error(status: int, reason: str, **details: str) -> web.Response:
    headers = {"Retry-After": "1"} if status == 503 else None
    return web.json_response({"error": reason, **details}, status=status, headers=headers)
