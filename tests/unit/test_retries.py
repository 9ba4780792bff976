"""The retry policy: how many attempts, and the wait before each one after the first."""

import pytest

from eventcollab.runtime.retries import RetryPolicy
from eventcollab.settings import Settings


def test_the_defaults_try_three_times_waiting_a_tenth_then_a_fifth_of_a_second() -> None:
    assert RetryPolicy().delays() == (0.1, 0.2)


def test_each_wait_is_the_factor_times_the_one_before_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, first=0.5, factor=3, cap=5)

    assert policy.delays() == (0.5, 1.5, 4.5, 5, 5)


def test_one_attempt_means_no_retry() -> None:
    assert RetryPolicy(attempts=1).delays() == ()


def test_a_factor_of_one_waits_the_same_each_time() -> None:
    assert RetryPolicy(attempts=4, first=0.25, factor=1).delays() == (0.25, 0.25, 0.25)


@pytest.mark.parametrize(
    "wrong", [{"attempts": 0}, {"first": -1.0}, {"factor": 0.5}, {"cap": -0.1}]
)
def test_a_policy_that_cannot_be_followed_is_refused(wrong: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="not a retry policy"):
        RetryPolicy(**wrong)  # type: ignore[arg-type]


def test_the_policy_comes_from_the_settings() -> None:
    settings = Settings(
        retry_attempts=5,
        retry_backoff_seconds=0.2,
        retry_backoff_factor=1.5,
        retry_backoff_max_seconds=0.4,
    )

    assert RetryPolicy.of(settings).delays() == pytest.approx((0.2, 0.3, 0.4, 0.4))
