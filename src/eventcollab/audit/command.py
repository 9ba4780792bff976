"""The `audit` command: read the whole log, check it, report, and exit 1 on any anomaly."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faust.cli import option

from eventcollab import retention
from eventcollab.audit import checks
from eventcollab.audit.log import read_log
from eventcollab.audit.model import Audit
from eventcollab.audit.report import as_json, render_text
from eventcollab.settings import Settings


async def run_audit(settings: Settings, grace: timedelta = checks.DEFAULT_GRACE) -> Audit:
    """Audit the log as it stands now: the only place where the audit reads the clock."""
    now = datetime.now(UTC)
    limit = retention.horizon(settings, now)
    return checks.audit(await read_log(settings), now=now, grace=grace, limit=limit)


async def audit_and_report(
    settings: Settings,
    grace_seconds: float,
    json_path: Path | None,
    say: Callable[[str], None],
) -> Audit:
    """What the command does; raises SystemExit(1) after reporting when there is an anomaly."""
    result = await run_audit(settings, timedelta(seconds=grace_seconds))
    say(render_text(result))
    if json_path is not None:
        json_path.write_text(json.dumps(as_json(result), indent=2) + "\n")
    if result.exit_code:
        raise SystemExit(result.exit_code)
    return result


def install_audit_command(app: Any, settings: Settings) -> None:
    @app.command(
        option(
            "--grace",
            type=float,
            default=checks.DEFAULT_GRACE.total_seconds(),
            metavar="SECONDS",
            help="How long an order may go without an outcome before it counts as stuck.",
        ),
        # An explicit parameter name: the option is --json, the variable must not shadow json.
        option("--json", "json_path", default=None, metavar="PATH", help="Also write JSON here."),
    )
    async def audit(self: Any, grace: float, json_path: str | None) -> None:
        """Check every workflow on the log and the tracker's changelog; exit 1 on any anomaly."""
        path = Path(json_path) if json_path is not None else None
        await audit_and_report(settings, grace, path, self.say)
