"""`eventcollab redrive ID [--dry-run]`: publish again the events of a stuck workflow whose
reaction is missing (see eventcollab.replay.redrive), after the fix that makes it go on."""

from collections.abc import Callable
from typing import Any

from faust.cli import argument, option

from eventcollab.replay.progress import INTERRUPTED, Stop, Tally, stoppable
from eventcollab.replay.redrive import Logged, chosen, folded, read_workflow, republish
from eventcollab.settings import Settings
from eventcollab.workflow import WorkflowState

NOTHING = 1  # the exit code when there is nothing to re-drive


def standing(state: WorkflowState) -> str:
    waiting = state.waiting_for
    awaited = f", waiting for {waiting.service}: {waiting.action}" if waiting else ""
    return f"workflow {state.correlation_id}: {state.status}{awaited}"


def published_line(logged: Logged, dry_run: bool) -> str:
    record, event = logged.record, logged.event
    verb = "would re-publish" if dry_run else "re-published"
    return f"{verb} {event.event_type} {event.event_id} to {record.topic}[{record.partition}]"


async def redrive_workflow(
    settings: Settings, correlation_id: str, dry_run: bool, stop: Stop, say: Callable[[str], None]
) -> int:
    """What the command does; the exit code (0 when it re-published, or would)."""
    tally = Tally()
    logged = await read_workflow(settings, correlation_id, stop, tally)
    if stop.asked:
        say(f"stopped while reading ({tally.summary()}): nothing was published")
        return INTERRUPTED
    state, first = folded(logged)
    picked = chosen(state, first)
    if state is None:
        say(f"no event of workflow {correlation_id} on the log: nothing to re-drive")
    elif not picked:
        say(f"{standing(state)}: nothing to re-drive")
    else:
        say(standing(state))
        if not dry_run:
            await republish(settings, [one.record for one in picked])
        for one in picked:
            say(published_line(one, dry_run))
        tally.add("would re-publish" if dry_run else "re-published", len(picked))
    say(f"summary: {tally.summary()}")
    return 0 if picked else NOTHING


def install_redrive_command(app: Any, settings: Settings) -> None:
    @app.command(
        argument("correlation_id"),
        option("--dry-run", is_flag=True, default=False, help="Say what, publish nothing."),
    )
    async def redrive(self: Any, correlation_id: str, dry_run: bool) -> None:
        """Re-drive a stuck workflow: publish again the events whose reaction is missing."""
        with stoppable() as stop:
            code = await redrive_workflow(settings, correlation_id, dry_run, stop, self.say)
        if code:
            raise SystemExit(code)
