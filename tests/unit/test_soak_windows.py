"""The soak run cut into windows: each workflow in the window its outcome was written in."""

from eventcollab.soak.windows import Sample, Scrape, Usage, windows_of


def sample(
    at_s: float,
    placed: int,
    rss: float = 100.0,
    cpu: float = 0.0,
    keys: dict[str, int] | None = None,
    lag: dict[str, int] | None = None,
) -> Sample:
    return Sample(
        at_s=at_s,
        placed=placed,
        usage={"all": Usage(rss_mib=rss, cpu_s=cpu)},
        scrape=Scrape(table_keys=keys or {}, lag=lag or {}, workflows=placed),
    )


def test_a_window_between_each_two_samples_holds_the_workflows_that_ended_in_it() -> None:
    samples = [sample(0, 0), sample(10, 50), sample(20, 100)]
    # (ended at, took ms): the one at exactly 10 s ended in the first window, not the second.
    finishes = [(12.0, 30.0), (3.0, 10.0), (10.0, 20.0), (19.0, 40.0), (25.0, 99.0)]

    first, second = windows_of(samples, finishes)

    assert (first.start_s, first.end_s, first.placed, first.finished) == (0, 10, 50, 2)
    assert (first.p50_ms, first.max_ms) == (10.0, 20.0)
    assert (second.start_s, second.end_s, second.placed, second.finished) == (10, 20, 50, 2)
    assert (second.p50_ms, second.p99_ms) == (30.0, 40.0)  # the one after the last sample: none


def test_a_window_without_an_ended_workflow_has_no_latency() -> None:
    [window] = windows_of([sample(0, 0), sample(5, 0)], [])

    assert window.finished == 0
    assert (window.p50_ms, window.p99_ms, window.max_ms) == (None, None, None)


def test_memory_tables_and_lag_are_the_window_end_s_and_cpu_is_per_second_of_it() -> None:
    before = sample(0, 0, rss=90, cpu=1.0)
    after = sample(
        4, 20, rss=120, cpu=3.0, keys={"tracker": 30, "payments": 12}, lag={"a": 2, "b": 3}
    )

    [window] = windows_of([before, after], [])

    assert window.rss_mib == {"all": 120} and window.rss_total_mib == 120
    assert window.cores == {"all": 0.5}
    assert window.table_keys == {"tracker": 30, "payments": 12}
    assert window.table_keys_total == 42
    assert window.lag == 5
    assert window.workflows == 20


def test_a_worker_that_started_again_in_the_window_has_no_cpu_figure() -> None:
    before, after = sample(0, 0, cpu=50.0), sample(4, 20, cpu=1.0)

    [window] = windows_of([before, after], [])

    assert window.cores == {}


def test_p99_is_a_latency_that_was_observed() -> None:
    samples = [sample(0, 0), sample(10, 100)]
    finishes = [(1.0, float(ms)) for ms in range(1, 101)]

    [window] = windows_of(samples, finishes)

    assert (window.finished, window.p50_ms, window.p99_ms, window.max_ms) == (100, 50, 99, 100)
