"""The soak report: what counts as a failure, and a row for every window."""

from typing import Any

from tests.unit.test_soak_trend import window

from eventcollab.soak.report import SoakReport, markdown
from eventcollab.soak.trend import trends
from eventcollab.soak.verdict import Tally, WorkerEnd, failures_of


def tally(**changes: Any) -> Tally:
    fine = Tally(
        placed=10,
        via_http=5,
        via_direct=5,
        unanswered_posts=0,
        ended=10,
        outcomes={"completed": 8, "rejected": 1, "cancelled": 1},
        lost=0,
        lost_sample=[],
        conflicting=0,
        conflicting_sample=[],
        repeated_outcomes=0,
        undecodable=0,
        load_counts={"http_503": 2},  # refused POSTs fell back to direct writes: no failure
        unacknowledged=0,
        p50_ms=40.0,
        p99_ms=90.0,
        max_ms=95.0,
        drain_s=0.2,
    )
    return fine.model_copy(update=changes)


CLEAN = WorkerEnd(worker="all", exited_during_run=None, stop_code=0, stop_s=2.1, clean=True)


def test_a_run_that_lost_nothing_and_stopped_cleanly_has_no_failure() -> None:
    assert failures_of(tally(), [CLEAN], []) == []


def test_a_lost_order_a_double_outcome_or_a_failed_placement_is_a_failure() -> None:
    lost = tally(lost=2, lost_sample=["a", "b"], ended=8)
    twice = tally(conflicting=1, conflicting_sample=["a: completed, cancelled"])
    failed = tally(load_counts={"placement_errors": 1})
    late = tally(unacknowledged=3)

    for wrong in (lost, twice, failed, late):
        assert len(failures_of(wrong, [CLEAN], [])) == 1, wrong


def test_a_worker_that_exited_did_not_stop_cleanly_or_logged_a_crash_fails_the_run() -> None:
    died = WorkerEnd(
        worker="payments",
        exited_during_run="exited with code 1 at 90 s",
        stop_code=1,
        stop_s=None,
        clean=False,
    )
    cut_off = WorkerEnd(
        worker="tracker", exited_during_run=None, stop_code=None, stop_s=30.0, clean=False
    )

    found = failures_of(tally(), [CLEAN, died, cut_off], ["orders: unit of work failed"])

    assert found == [
        "payments exited with code 1 at 90 s",
        "tracker did not stop cleanly (exit None)",
        "orders: unit of work failed",
    ]


def test_the_markdown_has_a_row_per_window_and_per_trend() -> None:
    windows = [window(n, 100 * n) for n in range(1, 8)]
    report = SoakReport(
        started="2026-11-28T04:00:00+0000",
        plan={},
        described="50 orders/s for 7 min",
        machine={"cores": 2},
        run_id="soak-x",
        logs="/tmp/x",
        load_s=420.0,
        tally=tally(),
        windows=windows,
        trends=trends(windows),
        workers=[CLEAN],
        log_failures=[],
        failures=[],
    )

    text = markdown(report)

    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[1] for row in rows] == [f"{n}:00" for n in range(1, 8)]
    assert "| table keys, tracker | 150.0 | 650.0 | 6,000.0 | 6,000.0 |" in text
    assert "**0 lost**" in text and "no failure" in text
