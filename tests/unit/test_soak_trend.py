"""Flat or not, in numbers: the first third against the last, and the slope per hour."""

import pytest

from eventcollab.soak.trend import slope, trends
from eventcollab.soak.windows import Window


def window(number: int, keys: int, p99: float | None = 100.0, rss: float = 100.0) -> Window:
    """A window of one minute; `keys` in the tracker's table."""
    return Window(
        number=number,
        start_s=(number - 1) * 60,
        end_s=number * 60,
        placed=100,
        finished=100,
        p50_ms=50.0,
        p99_ms=p99,
        max_ms=p99,
        rss_mib={"all": rss},
        rss_total_mib=rss,
        cores={},
        table_keys={"tracker": keys},
        table_keys_total=keys,
        workflows=None,
        lag=0,
        retired=None,
        removed=0,
        passed_over=0,
    )


def found(windows: list[Window], figure: str) -> tuple[float | None, ...]:
    [trend] = [t for t in trends(windows) if t.figure == figure]
    return trend.first_third, trend.last_third, trend.slope_per_hour, trend.late_slope_per_hour


def test_the_slope_of_a_straight_line_is_its_rise_per_unit() -> None:
    assert slope([(0, 1), (1, 3), (2, 5)]) == pytest.approx(2.0)
    assert slope([(0, 5), (1, 5)]) == 0
    assert slope([(1, 5)]) is None
    assert slope([(1, 5), (1, 6)]) is None


def test_tables_that_fill_then_stay_flat_show_no_slope_after_the_first_third() -> None:
    keys = [100, 200, 300, 300, 300, 300, 300, 300, 300]  # a minute a window

    first, last, whole, late = found(
        [window(n, k) for n, k in enumerate(keys, 1)], "table keys, tracker"
    )

    assert (first, last) == (200, 300)
    assert whole is not None and whole > 0
    assert late == 0


def test_a_figure_that_keeps_growing_grows_as_much_per_hour_in_both_slopes() -> None:
    windows = [window(n, 1000 + 10 * n, rss=100 + n) for n in range(1, 10)]

    assert found(windows, "table keys, every table")[2:] == (600, 600)  # 10 a minute
    assert found(windows, "RSS, MiB, every worker")[2:] == (60, 60)


def test_windows_without_a_latency_are_left_out_of_its_trend() -> None:
    p99 = [200.0, None, 200.0, 100.0, None, 100.0]

    first, last, whole, _ = found(
        [window(n, 10, p99=p) for n, p in enumerate(p99, 1)], "latency p99, ms"
    )

    assert (first, last) == (200, 100)
    assert whole is not None and whole < 0


def test_each_worker_s_memory_is_followed_when_there_are_several() -> None:
    one = [window(n, 10) for n in (1, 2, 3)]
    several = [w.model_copy(update={"rss_mib": {"orders": 50.0, "tracker": 70.0}}) for w in one]

    assert "RSS, MiB, all" not in {t.figure for t in trends(one)}
    assert {"RSS, MiB, orders", "RSS, MiB, tracker"} <= {t.figure for t in trends(several)}
