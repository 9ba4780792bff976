"""The audit as text for people and as a JSON-able dict for programs."""

from dataclasses import asdict
from typing import Any

from eventcollab.audit.model import Audit


def render_text(audit: Audit) -> str:
    summary = audit.summary
    statuses = ", ".join(f"{status} {count}" for status, count in summary.workflows.items())
    width = max((len(topic) for topic in summary.records), default=0)
    lines = [
        f"workflows    {sum(summary.workflows.values())} ({statuses})",
        "records",
        *(f"  {topic:<{width}}  {count}" for topic, count in summary.records.items()),
        f"duplicates   {summary.duplicate_events} events, {summary.duplicate_commands} commands"
        " (delivery is at least once)",
        f"bad records  {len(summary.bad_records)}",
        *(f"  {b.topic}[{b.partition}]@{b.offset}  {b.error}" for b in summary.bad_records),
        f"timed out    {sum(summary.timed_out.values())} (orders cancelled at a deadline)",
        *(f"  {step}  {n}" for step, n in summary.timed_out.items()),
        f"dead letters {sum(summary.dead_letters.values())} (set aside by the services)",
        *(
            f"  {service:<10} {error:<16} {n}"
            for (service, error), n in summary.dead_letters.items()
        ),
        f"anomalies    {len(audit.anomalies)}",
        *(f"  {a.kind:<17} {a.correlation_id}  {a.message}" for a in audit.anomalies),
    ]
    return "\n".join(lines)


def as_json(audit: Audit) -> dict[str, Any]:
    summary = audit.summary
    return {
        "anomalies": [asdict(anomaly) for anomaly in audit.anomalies],
        "summary": {
            "workflows": dict(summary.workflows),
            "records": dict(summary.records),
            "duplicates": {
                "events": summary.duplicate_events,
                "commands": summary.duplicate_commands,
            },
            "bad_records": [asdict(bad) for bad in summary.bad_records],
            "timed_out": dict(summary.timed_out),
            "dead_letters": [
                {"service": service, "error_type": error, "count": n}
                for (service, error), n in summary.dead_letters.items()
            ],
        },
        "exit_code": audit.exit_code,
    }
