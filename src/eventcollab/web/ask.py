"""Asking the tracker where a workflow stands, from a worker that takes orders or cancellations.

The tracker may run in this worker or in another one, and the workflow's partition may be owned
by any tracker worker: the question goes over HTTP to the tracker's URL (this worker's own when
it runs the tracker and no other URL is set), whose status route forwards it to the owner.
"""

import aiohttp
from pydantic import ValidationError

from eventcollab.presentation import WorkflowView
from eventcollab.settings import Settings

ASK_SECONDS = 5.0  # beyond any wait asked for


class TrackerUnreachable(Exception):
    """The tracker could not say (not reachable, recovering, or answering an error)."""


class TrackerClient:
    def __init__(self, settings: Settings, runs_tracker: bool) -> None:
        self.base = settings.tracker_url or (settings.local_url if runs_tracker else None)
        self.http: aiohttp.ClientSession | None = None  # made in the web server's loop

    async def view(self, correlation_id: str, wait_exists: float = 0.0) -> WorkflowView | None:
        """The workflow as the tracker shows it; None when it does not know it (after waiting up
        to `wait_exists` seconds for it to appear)."""
        if self.base is None or self.http is None:
            raise TrackerUnreachable("no tracker URL is set (EVENTCOLLAB_TRACKER_URL)")
        url = f"{self.base}/workflows/{correlation_id}"
        query = {"wait": "exists", "timeout": f"{wait_exists:.1f}"} if wait_exists > 0 else {}
        timeout = aiohttp.ClientTimeout(total=wait_exists + ASK_SECONDS)
        try:
            async with self.http.get(url, params=query, timeout=timeout) as answer:
                if answer.status == 404:
                    return None
                if answer.status != 200:
                    raise TrackerUnreachable(f"the tracker answered {answer.status}")
                return WorkflowView.model_validate_json(await answer.read())
        except ValidationError as failed:
            raise TrackerUnreachable(
                f"the tracker's answer was not understood: {failed}"
            ) from failed
        except (TimeoutError, aiohttp.ClientError) as failed:
            message = f"the tracker at {self.base} did not answer: {failed!r}"
            raise TrackerUnreachable(message) from failed
