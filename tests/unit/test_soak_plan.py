"""A soak run's plan: its windows, and retention short enough to be seen within the run."""

import pytest

from eventcollab.soak.plan import (
    Plan,
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


@pytest.mark.parametrize("minutes", [0.67, 3, 30, 240])
def test_finished_workflows_start_leaving_within_the_first_tenth_of_the_run(
    minutes: float,
) -> None:
    plan = planned(minutes)

    first_leave_s = plan.retention_minutes * 60 + plan.retention_check_seconds

    assert first_leave_s <= plan.seconds / 10


def test_the_workers_get_the_retention_as_settings_unless_it_is_left_to_them() -> None:
    assert planned(30).worker_settings() == {
        "EVENTCOLLAB_STATE_RETENTION_HOURS": "0.025",
        "EVENTCOLLAB_STATE_RETENTION_CHECK_SECONDS": "15",
    }
    assert planned(30, retention=0).worker_settings() == {}


def test_the_stock_outlasts_a_load_that_runs_late() -> None:
    assert planned(30).most_orders >= 50 * 30 * 60 * 1.1
