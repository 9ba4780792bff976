"""A workflow as text, for the terminal commands: the same view as the JSON (presentation)."""

from datetime import UTC, datetime

from eventcollab.presentation import StepView, WorkflowView


def step_line(step: StepView) -> str:
    since = f"+{step.since_previous_ms:.0f} ms" if step.since_previous_ms is not None else "start"
    late = "  (late)" if step.late else ""
    return (
        f"  {step.occurred_at.isoformat(timespec='milliseconds')}  {step.event_type:<18} "
        f"{step.producer:<10} {since:>10}  {step.event_id}  <- {step.causation_id or '-'}{late}"
    )


def render_status(view: WorkflowView, as_of: datetime | None = None) -> str:
    """The workflow's status and timeline; as of a time, how it stood then."""
    waiting = f"{view.waiting_for.service}: {view.waiting_for.action}" if view.waiting_for else "-"
    expected = ", then ".join(f"{s.service}: {s.action}" for s in view.expected) or "-"
    lines = [f"workflow  {view.correlation_id}"]
    if as_of is not None:
        lines.append(f"as of     {as_of.astimezone(UTC).isoformat(timespec='milliseconds')}")
    lines += [
        f"status    {view.status} after {view.duration_ms:.0f} ms",
        f"waiting   {waiting}",
        f"expected  {expected}",
        f"customer  {view.order.customer_id}, total {view.order.total}",
    ]
    if view.reason:
        timed_out = f" (deadline missed: {view.timed_out})" if view.timed_out else ""
        lines.append(f"reason    {view.reason}{timed_out}")
    lines.append("timeline")
    return "\n".join(lines + [step_line(step) for step in view.timeline])
