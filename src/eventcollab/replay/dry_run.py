"""The tracker's dry run for one workflow: its events on the log folded now, by the tracker's
own handler in memory, next to the status the live tracker serves, and whether they agree."""

import difflib
from collections.abc import Callable, Mapping

import aiohttp

from eventcollab import auth
from eventcollab.presentation import WorkflowView, present
from eventcollab.render import render_status
from eventcollab.replay.log import reader, records_in, span_of
from eventcollab.replay.progress import bar
from eventcollab.replay.shadow_fold import ShadowFold
from eventcollab.replay.shadow_run import Selection, input_partitions, spec_of
from eventcollab.runtime.kafka import client_options
from eventcollab.runtime.store import changelog_key
from eventcollab.settings import Settings
from eventcollab.topics import Topics
from eventcollab.workflow import WorkflowState

Say = Callable[[str], None]


async def folded_from_log(settings: Settings, topics: Topics, correlation_id: str) -> str | None:
    """The workflow's status folded from its events on the log, rendered; None without any."""
    spec = spec_of("tracker", settings, topics)
    fold = ShadowFold(spec.handler)
    key = correlation_id.encode()
    partitions = await input_partitions(settings, spec, Selection(ids=frozenset({correlation_id})))
    consumer = reader(client_options(settings))
    await consumer.start()
    try:
        span = await span_of(consumer, partitions)
        with bar(f"dry run of {correlation_id}", span.total) as progress:
            async for record in records_in(consumer, span):
                if record.key == key:  # its state depends on its own events only
                    fold.decide(record)
                progress.advance()
    finally:
        await consumer.stop()
    stored = changelog_key("workflows", correlation_id)
    raw = next((p.get(stored) for p in fold.store.partitions.values() if p.get(stored)), None)
    return None if raw is None else render_status(present(WorkflowState.model_validate_json(raw)))


async def live_status(url: str, headers: Mapping[str, str]) -> str:
    """The live status rendered, or why there is none."""
    try:
        async with aiohttp.ClientSession(headers=headers) as http, http.get(url) as response:
            body = await response.read()
    except aiohttp.ClientError as error:
        return f"tracker unreachable: {error}"
    if response.status != 200:
        return f"{response.status}: {body.decode(errors='replace')}"
    return render_status(WorkflowView.model_validate_json(body))


async def dry_run(settings: Settings, topics: Topics, correlation_id: str, say: Say) -> bool:
    """Print both; True when they agree."""
    url = f"{settings.tracker_url or settings.local_url}/workflows/{correlation_id}"
    folded = await folded_from_log(settings, topics, correlation_id) or "no event on the log"
    live = await live_status(url, auth.headers(settings))
    say("from the log (folded now)")
    say(folded)
    say(f"live ({url})")
    say(live)
    if folded == live:
        say("match: the fold of the log is the live status")
        return True
    say("differ:")
    for line in difflib.unified_diff(folded.splitlines(), live.splitlines(), "log", "live", n=0):
        say(line.rstrip("\n"))
    return False
