"""`eventcollab list [--status S] [--limit N]`: workflows newest first, from any tracker worker."""

from typing import Any

import orjson
from faust.cli import option

from eventcollab import auth
from eventcollab.asking import ask_tracker
from eventcollab.settings import Settings


def list_line(summary: dict[str, Any]) -> str:
    return (
        f"{summary['started_at']:<28} {summary['status']:<12} {summary['customer_id']:<16} "
        f"{summary['total']:>10}  {summary['correlation_id']}"
    )


def install_list_command(app: Any, settings: Settings) -> None:
    @app.command(
        option(
            "--status",
            default=None,
            help="in_progress, compensating, completed, rejected or cancelled",
        ),
        option("--limit", type=int, default=20, help="How many, newest first."),
        option("--before", default=None, help="Only those started before this ISO time."),
    )
    async def list(self: Any, status: str | None, limit: int, before: str | None) -> None:
        """List workflows, newest first, across every tracker worker."""
        query = {"limit": str(limit)} | ({"status": status} if status else {})
        query |= {"before": before} if before else {}
        url = f"{settings.tracker_url or settings.local_url}/workflows"
        body = orjson.loads(await ask_tracker(url, self.say, query, auth.headers(settings)))
        for summary in body["workflows"]:
            self.say(list_line(summary))
        if body["next"]:
            self.say(f"more: --before {body['workflows'][-1]['started_at']}")
