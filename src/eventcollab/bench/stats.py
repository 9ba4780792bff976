"""Percentiles and medians of the measured samples."""

import math
import statistics


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was actually observed."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    millis = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(percentile(millis, 0.50), 2),
        "p95_ms": round(percentile(millis, 0.95), 2),
        "p99_ms": round(percentile(millis, 0.99), 2),
        "max_ms": round(max(millis), 2),
        "mean_ms": round(statistics.fmean(millis), 2),
    }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def quantiles_ms(seconds: list[float]) -> list[list[float]]:
    """The distribution in 1% steps plus the tail (99.5%, 99.9%): [fraction, ms] pairs.

    Small enough for latest.json, fine enough to draw the distribution from.
    """
    if not seconds:
        return []
    millis = [s * 1000 for s in seconds]
    fractions = [n / 100 for n in range(1, 100)] + [0.995, 0.999, 1.0]
    return [[0.0, round(min(millis), 2)]] + [
        [f, round(percentile(millis, f), 2)] for f in fractions
    ]
