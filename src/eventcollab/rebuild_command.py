"""`eventcollab rebuild PROCESSOR [--restart]`: one processor's state folded again from its
inputs (see eventcollab.replay.rebuild)."""

from typing import Any

from faust.cli import argument, option

from eventcollab.replay import rebuild as rebuilding
from eventcollab.replay.progress import INTERRUPTED
from eventcollab.settings import Settings


def install_rebuild_command(app: Any, settings: Settings) -> None:
    @app.command(
        argument("processor"),
        option("--restart", is_flag=True, default=False, help="Start over, not where it stopped."),
    )
    async def rebuild(self: Any, processor: str, restart: bool) -> None:
        """Rebuild a processor's state from its inputs; it replaces the old one once caught up."""
        try:
            done = await rebuilding.rebuild(settings, processor, restart)
        except ValueError as wrong:
            self.say(str(wrong))
            raise SystemExit(1) from wrong
        self.say(f"{processor}: {done.tally.summary()}")
        if done.interrupted:
            self.say("interrupted: run the same command again to go on where it stopped")
            raise SystemExit(INTERRUPTED)
        if not done.switched:
            self.say(
                f"caught up with the running {processor} workers; stop them and run this again "
                "to switch to the rebuilt state"
            )
            return
        self.say(f"switched: start the {processor} workers; they restore the rebuilt state")
