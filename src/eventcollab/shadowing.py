"""`eventcollab shadow PROCESSOR`: what a processor would decide now over the log, against what
the log shows, publishing nothing; `shadow tracker --id ID` is the dry run of one workflow."""

from typing import Any

from faust.cli import argument, option

from eventcollab.dead_letters import since_of
from eventcollab.replay.attribution import REACTS_TO
from eventcollab.replay.dry_run import dry_run
from eventcollab.replay.shadow_run import Selection, shadow_replay
from eventcollab.settings import Settings
from eventcollab.topics import Topics


def install_shadow_command(app: Any, settings: Settings, topics: Topics) -> None:
    @app.command(
        argument("processor"),
        option(
            "--since", default=None, help="Compare inputs that occurred at this ISO time or after."
        ),
        option("--until", default=None, help="Compare inputs that occurred before this ISO time."),
        option(
            "--id",
            "ids",
            multiple=True,
            help="Compare the inputs of this correlation id (repeatable).",
        ),
        option("--restart", is_flag=True, default=False, help="Ignore a checkpoint: start afresh."),
        option("--rate", type=float, default=0.0, help="At most this many input records a second."),
    )
    async def shadow(
        self: Any,
        processor: str,
        since: str | None,
        until: str | None,
        ids: tuple[str, ...],
        restart: bool,
        rate: float,
    ) -> None:
        """Report every input for which PROCESSOR would decide otherwise now than the log shows
        (orders, payments, inventory, stock, shipping); `tracker --id ID` is a dry run."""
        if processor == "tracker":
            if not ids or since or until:
                self.say("the tracker's dry run takes --id ID (one or more), and no time range")
                raise SystemExit(2)
            agreed = [await dry_run(settings, topics, cid, self.say) for cid in ids]
            if not all(agreed):
                raise SystemExit(1)
            return
        if processor not in REACTS_TO:
            self.say(f"no processor {processor!r}: one of {', '.join(REACTS_TO)}, or tracker")
            raise SystemExit(2)
        try:
            selection = Selection(since_of(since), since_of(until), frozenset(ids))
        except ValueError as error:
            self.say(f"--since and --until take ISO times: {error}")
            raise SystemExit(2) from error
        code = await shadow_replay(settings, topics, processor, selection, self.say, restart, rate)
        if code:
            raise SystemExit(code)
