"""The flow map's quantile sketch: within 1 % of the exact quantiles, mergeable, reversible."""

import math
import random

import pytest

from eventcollab.flowmap.sketch import ACCURACY, Sketch

QUANTILES = (0.0, 0.5, 0.95, 0.99, 1.0)


def exact(values: list[float], q: float) -> float:
    """The sketch's rank definition: the value of rank floor(q * (n - 1)), 0-based, sorted."""
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


def distributions() -> dict[str, list[float]]:
    chance = random.Random(7)
    return {
        "uniform": [chance.uniform(1, 10_000) for _ in range(5_000)],
        "lognormal": [chance.lognormvariate(3, 1.5) for _ in range(5_000)],
        "constant": [42.0] * 1_000,
        "two clusters": [chance.uniform(1, 2) for _ in range(500)]
        + [chance.uniform(50_000, 60_000) for _ in range(500)],
        "under a millisecond": [chance.uniform(0.002, 1) for _ in range(2_000)],
        "with zeros": [0.0] * 300 + [chance.uniform(5, 500) for _ in range(700)],
    }


@pytest.mark.parametrize("name", list(distributions()))
def test_quantiles_are_within_the_relative_error_of_the_exact_ones(name: str) -> None:
    values = distributions()[name]
    sketch = Sketch.of(values)

    assert sketch.count == len(values)
    for q in QUANTILES:
        want, got = exact(values, q), sketch.quantile(q)
        assert got is not None
        assert abs(got - want) <= ACCURACY * want + 1e-9, (name, q, want, got)
    assert sketch.max is not None
    assert abs(sketch.max - max(values)) <= ACCURACY * max(values) + 1e-9


def test_the_sketches_of_any_split_merge_into_the_sketch_of_the_whole() -> None:
    chance = random.Random(11)
    values = distributions()["lognormal"]
    whole = Sketch.of(values)
    for _ in range(20):
        cuts = sorted(chance.sample(range(1, len(values)), chance.randint(1, 6)))
        parts = [values[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)], strict=True)]
        chance.shuffle(parts)
        merged = Sketch()
        for part in parts:
            merged = merged.merge(Sketch.of(part))
        assert merged == whole
        assert merged.model_dump_json() == whole.model_dump_json()


def test_the_same_values_in_any_order_give_the_same_json() -> None:
    values = distributions()["two clusters"] + [0.0, 0.0]
    shuffled = list(values)
    random.Random(3).shuffle(shuffled)

    assert Sketch.of(shuffled).model_dump_json() == Sketch.of(values).model_dump_json()


def test_values_taken_out_leave_exactly_what_was_there_before() -> None:
    before = Sketch.of([3.0, 70.0, 0.0, 1_500.0])
    added = [12.5, 0.0, 70.0, 99_000.0]

    assert before.add(added).remove(added) == before
    assert Sketch.of(added).remove(added) == Sketch()
    assert Sketch.of(added).remove(added).model_dump_json() == Sketch().model_dump_json()


@pytest.mark.parametrize("missing", [[5.0], [0.0], [12.5, 12.5]])
def test_taking_out_what_was_not_added_is_refused(missing: list[float]) -> None:
    with pytest.raises(ValueError, match="not added"):
        Sketch.of([12.5, 900.0]).remove(missing)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf")])
def test_a_negative_duration_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="at least 0"):
        Sketch.of([bad])


def test_an_empty_sketch_has_no_quantile_and_one_value_is_every_quantile() -> None:
    assert (Sketch().count, Sketch().quantile(0.5), Sketch().max) == (0, None, None)
    one = Sketch.of([250.0])
    for q in QUANTILES:
        assert one.quantile(q) == pytest.approx(250.0, rel=ACCURACY)
    assert Sketch.of([0.0]).max == 0.0
    with pytest.raises(ValueError):
        one.quantile(1.5)


def test_a_json_round_trip_gives_the_same_sketch() -> None:
    sketch = Sketch.of(distributions()["with zeros"])

    assert Sketch.model_validate_json(sketch.model_dump_json()) == sketch


def test_a_thousand_durations_from_a_millisecond_to_ten_seconds_fit_in_a_few_kilobytes() -> None:
    chance = random.Random(5)
    values = [10 ** chance.uniform(0, 4) for _ in range(1_000)]

    size = len(Sketch.of(values).model_dump_json())

    assert size < 6_000, size  # at most the ~460 buckets of four decades, a dozen bytes each
