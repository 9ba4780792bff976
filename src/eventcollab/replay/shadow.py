"""Shadow replay, the pure part: what a processor decides now for an input of the log against
what the log shows it decided, matched by id; the differences found, and the report.

Event ids (and stock command ids) are derived from their causes, so the same decision has the
same id: a record decided now and on the log under one id is the same decision, compared field
by field (`occurred_at` aside: now is not then); one on the log only would not be published
now, and one decided now only would be published.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import orjson

from eventcollab.models import Frozen

Change = Literal["would not publish", "would publish", "would publish differently"]
CHANGES: tuple[Change, ...] = ("would not publish", "would publish", "would publish differently")
IGNORED = frozenset({"occurred_at"})  # when it was decided: never the same twice
VALUE_CHARS = 120  # of a field's value in the report


class Output(Frozen):
    """An event or stock command, published on the log or decided now."""

    output_id: UUID
    kind: str  # event_type or command_type
    body: dict[str, Any]  # its JSON


def output_of(raw: bytes) -> Output:
    """An encoded event or stock command (a command has a `command_id`, no `event_id`)."""
    body = orjson.loads(raw)
    output_id = UUID(body.get("event_id") or body["command_id"])
    kind = body.get("event_type") or body["command_type"]
    return Output(output_id=output_id, kind=kind, body=body)


class FieldChange(Frozen):
    field: str
    logged: Any
    now: Any


class Difference(Frozen):
    change: Change
    kind: str
    output_id: UUID
    fields: tuple[FieldChange, ...] = ()


class Finding(Frozen):
    """An input for which the processor would decide differently now."""

    correlation_id: str
    input_kind: str
    input_id: UUID
    occurred_at: datetime
    where: str  # topic[partition]@offset of the input
    differences: tuple[Difference, ...]


def differences(
    decided: Sequence[Output], logged: Sequence[Output], on_log: Mapping[UUID, Output]
) -> tuple[Difference, ...]:
    """`decided` now for an input against `logged`, what the log shows decided for it; any
    output decided now is looked up by id on the whole log (`on_log`)."""
    now_ids = {output.output_id for output in decided}
    found = [
        Difference(change="would not publish", kind=output.kind, output_id=output.output_id)
        for output in logged
        if output.output_id not in now_ids
    ]
    for output in decided:
        before = on_log.get(output.output_id)
        if before is None:
            found.append(
                Difference(change="would publish", kind=output.kind, output_id=output.output_id)
            )
        elif changed := field_changes(before.body, output.body):
            found.append(
                Difference(
                    change="would publish differently",
                    kind=output.kind,
                    output_id=output.output_id,
                    fields=changed,
                )
            )
    return tuple(found)


def field_changes(logged: Any, now: Any, path: str = "") -> tuple[FieldChange, ...]:
    """The fields that differ, by dotted path, `occurred_at` left out at any depth."""
    if isinstance(logged, dict) and isinstance(now, dict):
        return tuple(
            change
            for key in sorted(logged.keys() | now.keys())
            if key not in IGNORED
            for change in field_changes(logged.get(key), now.get(key), f"{path}{key}.")
        )
    if isinstance(logged, list) and isinstance(now, list) and len(logged) == len(now):
        return tuple(
            change
            for at, (before, after) in enumerate(zip(logged, now, strict=True))
            for change in field_changes(before, after, f"{path}{at}.")
        )
    if logged == now:
        return ()
    return (FieldChange(field=path.rstrip("."), logged=logged, now=now),)


def report(findings: Iterable[Finding]) -> list[str]:
    """The findings by correlation id, each workflow's in the order its inputs occurred. After
    a workflow's first difference the state folded now is no longer the log's: what follows
    may be a consequence of it, and is marked so."""
    by_workflow: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_workflow[finding.correlation_id].append(finding)
    lines: list[str] = []
    for correlation_id in sorted(by_workflow):
        lines.append(correlation_id)
        ordered = sorted(
            by_workflow[correlation_id], key=lambda f: (f.occurred_at, str(f.input_id))
        )
        for number, finding in enumerate(ordered):
            lines.append(finding_line(finding, follows=number > 0))
            lines += [f"    {difference_line(d)}" for d in finding.differences]
    decided, detailed = decisions_changed(by_workflow)
    if by_workflow:
        lines.append(
            f"decisions changed (other events published): {len(decided)} {listed(decided)}"
        )
        lines.append(f"same decisions, other fields: {len(detailed)} {listed(detailed)}")
    return lines


def decisions_changed(by_workflow: Mapping[str, list[Finding]]) -> tuple[list[str], list[str]]:
    """The workflows for which other events would be published now, and those that would get
    the same events with other field values (a reason's wording, an amount)."""
    decided = sorted(
        cid
        for cid, findings in by_workflow.items()
        if any(d.change != "would publish differently" for f in findings for d in f.differences)
    )
    return decided, sorted(set(by_workflow) - set(decided))


def listed(correlation_ids: list[str]) -> str:
    return f"({', '.join(correlation_ids)})" if correlation_ids else ""


def finding_line(finding: Finding, follows: bool) -> str:
    at = finding.occurred_at.astimezone(UTC).isoformat(timespec="milliseconds")
    after = "  (after an earlier difference)" if follows else ""
    return f"  {at}  {finding.input_kind} {finding.input_id}  {finding.where}{after}"


def difference_line(difference: Difference) -> str:
    if difference.change != "would publish differently":
        return f"{difference.change} {difference.kind} {difference.output_id}"
    fields = "; ".join(
        f"{change.field} {shown(change.logged)} -> {shown(change.now)}"
        for change in difference.fields
    )
    return f"would publish {difference.kind} {difference.output_id} differently: {fields}"


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def summary(counts: Mapping[str, int]) -> list[str]:
    """Inputs read, compared, identical and different, and the differences by kind."""
    lines = [
        f"inputs read {counts.get('read', 0):,}, compared {counts.get('compared', 0):,}: "
        f"identical {counts.get('identical', 0):,}, different {counts.get('different', 0):,}",
        "differences: " + ", ".join(f"{change} {counts.get(change, 0):,}" for change in CHANGES),
    ]
    if counts.get("failed"):
        lines.append(f"failed now  {counts['failed']:,} (the handler raised: a dead letter now)")
    return lines
