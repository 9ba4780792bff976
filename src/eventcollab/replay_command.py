"""`eventcollab replay --from-start [--processor NAME ...]`: the whole log through the services
again (see eventcollab.replay.from_start)."""

from typing import Any

from faust.cli import option

from eventcollab.replay.from_start import GroupInUse, rewind
from eventcollab.settings import Settings


def install_replay_command(app: Any, settings: Settings) -> None:
    @app.command(
        option("--from-start", is_flag=True, default=False, help="From the first record on."),
        option("--processor", multiple=True, help="Only this processor (repeatable)."),
    )
    async def replay(self: Any, from_start: bool, processor: tuple[str, ...]) -> None:
        """Read the log again through the services, once their workers are stopped."""
        if not from_start:
            self.say("say where from: --from-start")
            raise SystemExit(2)
        try:
            rewound = await rewind(settings, list(processor) or None)
        except (GroupInUse, ValueError) as refused:
            self.say(f"nothing rewound: {refused}")
            raise SystemExit(1) from refused
        for done in rewound:
            self.say(
                f"{done.processor:<10} {done.group}: {done.partitions} partitions back to the "
                f"beginning, {done.records:,} records to read again"
            )
        self.say("start the workers: they read every record again; nothing is done twice")
