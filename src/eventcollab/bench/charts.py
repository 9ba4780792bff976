"""PNG charts of a run: throughput per contender, latency distributions (matplotlib, Agg)."""

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter

TICKS_MS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def throughput(data: dict[str, Any], path: Path) -> None:
    names = list(data["medians"])
    figure, axes = plt.subplots(figsize=(9, 4))
    for index, name in enumerate(names):
        values = [
            r["contenders"][name]["saturation"]["workflows_per_s"]
            for r in data["rounds"]
            if name in r["contenders"]
        ]
        axes.bar(index, data["medians"][name]["workflows_per_s"] or 0, color=f"C{index}")
        axes.scatter([index] * len(values), values, color="black", s=12, zorder=3)
    labels = [name.replace("eventcollab ", "eventcollab\n") for name in names]
    axes.set_xticks(range(len(names)), labels, fontsize=8)
    axes.set_ylabel("workflows/s at saturation")
    axes.set_title("Throughput (bar: median, dots: rounds)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def latency(data: dict[str, Any], path: Path) -> None:
    """Each contender's latency distribution, one line a round (from its quantiles)."""
    figure, axes = plt.subplots(figsize=(7, 4))
    for index, name in enumerate(data["medians"]):
        results = [r["contenders"][name] for r in data["rounds"] if name in r["contenders"]]
        results = [result for result in results if "latency" in result]  # not scale-out
        for number, result in enumerate(results):
            points = result["latency"].get("quantiles_ms", [])
            label = name if number == 0 else None  # one legend entry per contender
            millis, fractions = [ms for _, ms in points], [f for f, _ in points]
            axes.plot(millis, fractions, label=label, color=f"C{index}", alpha=0.8)
    axes.set_xscale("log")
    # Plain numbers at round values; matplotlib's minor labels on a log axis overlap.
    low, high = axes.get_xlim()
    axes.set_xticks([t for t in TICKS_MS if low <= t <= high])
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("end-to-end latency, ms (OrderPlaced scheduled to OrderCompleted read)")
    axes.set_ylabel("fraction of workflows")
    axes.set_title(f"Latency at {data['half_load_rate']} orders/s")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def draw(data: dict[str, Any], folder: Path) -> list[Path]:
    paths = [folder / "throughput.png", folder / "latency.png"]
    throughput(data, paths[0])
    latency(data, paths[1])
    return paths
