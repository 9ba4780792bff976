"""latest.png: memory, table keys and latency of a soak run over time (matplotlib, Agg)."""

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from eventcollab.soak.report import SoakReport
from eventcollab.soak.windows import Window


def minutes(windows: list[Window]) -> list[float]:
    return [w.end_s / 60 for w in windows]


def plot(axes: Axes, windows: list[Window], series: dict[str, list[float | None]]) -> None:
    for name, values in series.items():
        points = [(x, y) for x, y in zip(minutes(windows), values, strict=True) if y is not None]
        axes.plot([x for x, _ in points], [y for _, y in points], label=name, marker=".")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", ncols=3)


def draw(report: SoakReport, path: Path) -> Path:
    windows = report.windows
    workers = sorted({name for w in windows for name in w.rss_mib})
    tables = sorted({name for w in windows for name in w.table_keys})
    figure, (memory, keys, latency) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    rss: dict[str, list[float | None]] = {n: [w.rss_mib.get(n) for w in windows] for n in workers}
    if len(workers) > 1:
        rss["every worker"] = [w.rss_total_mib for w in windows]
    plot(memory, windows, rss)
    memory.set_ylabel("RSS, MiB")
    memory.set_title("\n".join(textwrap.wrap(report.described, 110)), fontsize=9)
    sizes: dict[str, list[float | None]] = {
        name: [_float(w.table_keys.get(name)) for w in windows] for name in tables
    }
    plot(keys, windows, sizes)
    keys.set_ylabel("table keys")
    plot(latency, windows, {"p50": [w.p50_ms for w in windows], "p99": [w.p99_ms for w in windows]})
    latency.set_ylabel("OrderPlaced to outcome, ms")
    latency.set_xlabel("minutes since the load started")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)
