"""`eventcollab flow`: the flow map of the whole log, checked against what the services declare."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faust.cli import option

from eventcollab.audit.decoded import decode
from eventcollab.audit.log import read_log
from eventcollab.flowmap import declared, export, report
from eventcollab.flowmap.conformance import GRACE, deviations_of, marks
from eventcollab.flowmap.from_log import map_of, shares_of, workflows_of
from eventcollab.settings import Settings

DEFAULT_GRACE = GRACE


async def flow_report(settings: Settings, grace: timedelta, out: "Outputs") -> dict[str, Any]:
    """Read the log, map it, write what was asked for; the report as JSON."""
    decoded = decode(await read_log(settings))
    states = workflows_of(decoded.events)
    shares = shares_of(states)
    flow, variants = map_of(states, shares)
    expected = declared.expected_names()
    deviations = deviations_of(states, shares, expected, now=datetime.now(UTC), grace=grace)
    result = report.as_json(flow, marks(flow.edges, expected), variants, deviations)
    out.write(result, states)
    return result


class Outputs:
    def __init__(self, json_path: Path | None, csv: Path | None, follows: Path | None) -> None:
        self.json_path, self.csv, self.follows = json_path, csv, follows

    def write(self, result: dict[str, Any], states: Any) -> None:
        if self.json_path is not None:
            self.json_path.write_text(json.dumps(result, indent=2) + "\n")
        if self.csv is not None:
            self.csv.write_text(export.event_log_csv(states))
        if self.follows is not None:
            self.follows.write_text(json.dumps(export.directly_follows(states), indent=2) + "\n")


def path_or_none(value: str | None) -> Path | None:
    return Path(value) if value is not None else None


def install_flow_command(app: Any, settings: Settings) -> None:
    @app.command(
        option(
            "--grace",
            type=float,
            default=DEFAULT_GRACE.total_seconds(),
            metavar="SECONDS",
            help="How long a workflow may run without an outcome before it counts as missing one.",
        ),
        option("--json", "json_path", default=None, metavar="PATH", help="The map as JSON."),
        option("--csv", default=None, metavar="PATH", help="The event log, for process mining."),
        option("--follows", default=None, metavar="PATH", help="Directly-follows counts, JSON."),
    )
    async def flow(
        self: Any, grace: float, json_path: str | None, csv: str | None, follows: str | None
    ) -> None:
        """The flow map of every workflow on the log: edges, hop times, deviations, variants."""
        outputs = Outputs(path_or_none(json_path), path_or_none(csv), path_or_none(follows))
        result = await flow_report(settings, timedelta(seconds=grace), outputs)
        say: Callable[[str], None] = self.say
        say(report.render_text(result))
