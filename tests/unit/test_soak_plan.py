"""A soak run's plan: its windows, and retention short enough to be seen within the run."""

import pytest

from eventcollab.soak import plan as plans
from eventcollab.soak.plan import (
    Plan,
    deadlines,
    default_check_seconds,
    default_retention_minutes,
    default_sample_seconds,
)


def planned(minutes: float, retention: float | None = None) -> Plan:
    kept = default_retention_minutes(minutes) if retention is None else retention
    return Plan(
        minutes=minutes,
        rate=50,
        sample_seconds=default_sample_seconds(minutes),
        retention_minutes=kept,
        retention_check_seconds=default_check_seconds(kept),
        per_service=False,
        seed=1,
    )


def test_half_an_hour_is_sampled_every_30_s_and_a_short_run_in_30_windows() -> None:
    assert (planned(30).sample_seconds, planned(30).windows) == (30, 60)
    assert (planned(3).sample_seconds, planned(3).windows) == (6, 30)
    assert planned(0.5).sample_seconds == 2  # never more often


@pytest.mark.parametrize("minutes", [12, 30, 240])
def test_finished_workflows_start_leaving_within_the_first_tenth_of_the_run(
    minutes: float,
) -> None:
    plan = planned(minutes)

    first_leave_s = plan.retention_minutes * 60 + plan.retention_check_seconds

    assert first_leave_s <= plan.seconds / 10


def test_a_short_run_keeps_finished_state_a_minute() -> None:
    assert planned(3).retention_minutes == 1
    assert planned(0.67).retention_minutes == 1


@pytest.mark.parametrize("retention_s", [60, 150, 2000])
def test_the_deadlines_leave_the_retention_longer_than_twice_their_sum(retention_s: float) -> None:
    steps = deadlines(retention_s)

    assert set(steps) == {
        "EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS",
        "EVENTCOLLAB_DEADLINE_RESERVE_SECONDS",
        "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS",
    }
    assert 2 * sum(float(seconds) for seconds in steps.values()) < retention_s


def test_a_retention_past_twice_the_usual_deadlines_keeps_them() -> None:
    assert deadlines(3 * 3600) == {}


def test_the_workers_get_the_retention_and_the_deadlines_it_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plans, "retention_known", lambda: True)

    assert planned(30).worker_settings() == {
        "EVENTCOLLAB_STATE_RETENTION_HOURS": "0.0416667",
        "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS": "25",
        "EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS": "15",
        "EVENTCOLLAB_DEADLINE_RESERVE_SECONDS": "15",
        "EVENTCOLLAB_DEADLINE_SCHEDULE_SECONDS": "37.5",
    }
    assert planned(30, retention=0).worker_settings() == {}


def test_workers_without_a_retention_setting_keep_their_deadlines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plans, "retention_known", lambda: False)

    assert set(planned(30).worker_settings()) == {
        "EVENTCOLLAB_STATE_RETENTION_HOURS",
        "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS",
    }


def test_the_stock_outlasts_a_load_that_runs_late() -> None:
    assert planned(30).most_orders >= 50 * 30 * 60 * 1.1
