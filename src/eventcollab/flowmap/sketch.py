"""Quantiles of durations within 1 % relative error, in a sketch that merges and takes values out.

Values are counted in logarithmic buckets (the DDSketch idea): bucket i holds the values in
(GAMMA**(i-1), GAMMA**i], and stands for the value 2 * GAMMA**i / (GAMMA + 1), which is within
ACCURACY of every value of the bucket. Two sketches merge by adding their counts, so partitions and
workers can each keep their own; a workflow's values are taken out by subtracting them again,
which the tracker needs when a workflow's events change its share (a published library sketch
offers merging but not that). Only buckets in use are kept: a few hundred at most for durations
from a microsecond to a day.
"""

import math
from collections import Counter
from collections.abc import Iterable

from pydantic import Field

from eventcollab.models import Frozen

ACCURACY = 0.01
GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
LOG_GAMMA = math.log(GAMMA)
# Below this (ms) a value counts as 0: no duration of a step is that short.
SMALLEST = 0.001


class Sketch(Frozen):
    bins: dict[int, int] = Field(
        default_factory=dict
    )  # bucket -> values in it, buckets in order, no empty bucket
    zeros: int = 0  # values under SMALLEST

    @classmethod
    def of(cls, values: Iterable[float]) -> "Sketch":
        return cls().add(values)

    def add(self, values: Iterable[float]) -> "Sketch":
        return self.counted(values, 1)

    def remove(self, values: Iterable[float]) -> "Sketch":
        """The exact inverse of `add`: without values that were added before."""
        return self.counted(values, -1)

    def merge(self, other: "Sketch") -> "Sketch":
        bins = Counter(self.bins)
        bins.update(other.bins)
        return Sketch(bins=dict(sorted(bins.items())), zeros=self.zeros + other.zeros)

    def counted(self, values: Iterable[float], sign: int) -> "Sketch":
        bins, zeros = Counter(self.bins), self.zeros
        for value in values:
            if not 0 <= value < math.inf:  # NaN too
                raise ValueError(f"a duration is at least 0 and finite, not {value}")
            if value < SMALLEST:
                zeros += sign
            else:
                bins[bucket_of(value)] += sign
        if zeros < 0 or any(count < 0 for count in bins.values()):
            raise ValueError("taking out values that were not added")
        return Sketch(bins={b: n for b, n in sorted(bins.items()) if n}, zeros=zeros)

    @property
    def count(self) -> int:
        return self.zeros + sum(self.bins.values())

    def quantile(self, q: float) -> float | None:
        """The value of rank floor(q * (count - 1)) among the values sorted (0-based)."""
        if not 0 <= q <= 1:
            raise ValueError(f"a quantile is between 0 and 1, not {q}")
        if not self.count:
            return None
        rank = math.floor(q * (self.count - 1))
        if rank < self.zeros:
            return 0.0
        seen = self.zeros
        for bucket, count in self.bins.items():
            seen += count
            if seen > rank:
                return value_of(bucket)
        raise AssertionError("counts are inconsistent")  # pragma: no cover

    @property
    def max(self) -> float | None:
        if self.bins:
            return value_of(next(reversed(self.bins)))
        return 0.0 if self.zeros else None


def bucket_of(value: float) -> int:
    return math.ceil(math.log(value) / LOG_GAMMA)


def value_of(bucket: int) -> float:
    return 2 * GAMMA**bucket / (GAMMA + 1)
