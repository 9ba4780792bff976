"""`eventcollab replay-dead-letters`: publish the dead letters' records again to their topics,
with the listing's filters, and mark each one by what its service made of the copy."""

import hashlib
from typing import Any

from faust.cli import option

from eventcollab.dead_letters import FILTER_OPTIONS, Filters, filters_of
from eventcollab.replay import dead_letters as replay
from eventcollab.settings import Settings


def checkpoint_name(settings: Settings, filters: Filters) -> str:
    """One checkpoint per deployment and filters: another selection is another replay."""
    chosen = (settings.app_id, settings.topic_prefix, repr(filters))
    return f"dead-letters-{hashlib.sha256(repr(chosen).encode()).hexdigest()[:12]}"


def install_replay_dead_letters_command(app: Any, settings: Settings) -> None:
    @app.command(
        *FILTER_OPTIONS,
        option("--dry-run", is_flag=True, help="Show what would be published; publish nothing."),
        option("--restart", is_flag=True, help="Ignore the checkpoint of an interrupted run."),
        option("--window", type=int, default=100, help="Records published per wait."),
        option("--wait", type=float, default=60.0, help="Seconds to wait for the services."),
    )
    async def replay_dead_letters(
        self: Any,
        service: str | None,
        topic: str | None,
        error: str | None,
        since: str | None,
        wanted: str | None,
        dry_run: bool,
        restart: bool,
        window: int,
        wait: float,
    ) -> None:
        """Publish the selected dead letters' records again, each marked once processed."""
        filters = filters_of(settings, service, topic, error, since, wanted)
        name = checkpoint_name(settings, filters)
        request = replay.Request(filters.keep, name, window, wait, dry_run, restart)
        code = await replay.replay_dead_letters(settings, request, self.say)
        if code:
            raise SystemExit(code)
