"""A workflow's status and timeline as text, for the terminal commands."""

from eventcollab.workflow import TimelineEntry, WorkflowState


def step_line(entry: TimelineEntry) -> str:
    return (
        f"  {entry.occurred_at.isoformat(timespec='milliseconds')}  {entry.event_type:<18} "
        f"{entry.producer:<10} {entry.event_id}  <- {entry.causation_id or '-'}"
    )


def render_status(state: WorkflowState) -> str:
    waiting = (
        f"{state.waiting_for.service}: {state.waiting_for.action}" if state.waiting_for else "-"
    )
    lines = [
        f"workflow  {state.correlation_id}",
        f"status    {state.status}",
        f"waiting   {waiting}",
        f"customer  {state.order.customer_id}, total {state.order.total}",
        "timeline",
    ]
    return "\n".join(lines + [step_line(entry) for entry in state.timeline])
