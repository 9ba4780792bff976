"""Tracker: folds every workflow event into the status that the web view serves."""

from typing import Any

from eventcollab import workflow
from eventcollab.agents import react
from eventcollab.domain import Decision
from eventcollab.models import Event
from eventcollab.settings import Settings
from eventcollab.tables import state_table
from eventcollab.topics import WORKFLOW_TOPICS, Topics, channel
from eventcollab.web import install_workflow_view


def decide(state: workflow.WorkflowState | None, event: Event) -> Decision[workflow.WorkflowState]:
    return Decision(workflow.apply(state, event))


def install(app: Any, settings: Settings, topics: Topics) -> Any:
    table = state_table(app, settings, "workflows")
    install_workflow_view(app, table)

    @app.agent(channel(app, settings, *WORKFLOW_TOPICS), name="tracker")
    async def tracker(stream: Any) -> None:
        await react(stream, table, workflow.WorkflowState, decide, None)

    return tracker
