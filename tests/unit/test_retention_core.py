from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from eventcollab import retention
from eventcollab.settings import Settings

AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_horizon_is_the_retention_period_before_now() -> None:
    settings = Settings(state_retention_hours=2)
    assert retention.horizon(settings, AT) == AT - timedelta(hours=2)


def test_minus_one_keeps_entries_for_ever() -> None:
    limit = retention.horizon(Settings(state_retention_hours=-1), AT)
    assert limit is None
    assert not retention.past(datetime(2000, 1, 1, tzinfo=UTC), limit)


def test_only_what_is_older_than_the_horizon_is_past_it() -> None:
    limit = AT - timedelta(hours=1)
    assert retention.past(limit - timedelta(microseconds=1), limit)
    assert not retention.past(limit, limit)


def test_an_old_event_is_passed_over_only_when_its_entry_is_gone() -> None:
    limit = AT - timedelta(hours=1)
    old = limit - timedelta(seconds=1)
    assert retention.passed_over(old, None, limit)
    assert not retention.passed_over(old, object(), limit)
    assert not retention.passed_over(AT, None, limit)


@pytest.mark.parametrize("hours", [0, -2, 0.5])
def test_retention_shorter_than_a_workflow_can_run_is_refused(hours: float) -> None:
    # default deadlines: 120 + 120 + 900 s, twice: 2,280 s
    with pytest.raises(ValidationError, match="EVENTCOLLAB_STATE_RETENTION_HOURS"):
        Settings(state_retention_hours=hours)


def test_short_deadlines_allow_a_short_retention() -> None:
    settings = Settings(
        state_retention_hours=0.05,  # 180 s
        deadline_authorize_seconds=20,
        deadline_reserve_seconds=20,
        deadline_schedule_seconds=20,
    )
    assert retention.horizon(settings, AT) == AT - timedelta(seconds=180)
