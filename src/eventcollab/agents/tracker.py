"""Tracker: folds every workflow event into the status that the web view serves."""

from eventcollab import workflow
from eventcollab.agents import reacting
from eventcollab.clock import now
from eventcollab.domain import Decision
from eventcollab.models import Event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.settings import Settings
from eventcollab.topics import Topics


def decide(state: workflow.WorkflowState | None, event: Event) -> Decision[workflow.WorkflowState]:
    return Decision(workflow.apply(state, event, recorded_at=now()))


def processors(settings: Settings, topics: Topics) -> list[ProcessorSpec]:
    inputs = (topics.orders, topics.payments, topics.inventory, topics.shipments)
    handler = reacting("workflows", workflow.WorkflowState, decide, None)
    return [ProcessorSpec("tracker", inputs, handler, ("workflows",))]
