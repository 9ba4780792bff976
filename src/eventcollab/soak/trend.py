"""PURE: whether a figure stayed flat, in numbers: its first third against its last, its slope.

Nothing here decides flat or not: the report gives the figures and the reader judges. The slope
over the last two thirds leaves out the start, where tables fill until the first finished
workflows reach the end of their retention.
"""

from collections.abc import Callable

from eventcollab.soak.windows import Frozen, Window

Figure = Callable[[Window], float | int | None]


class Trend(Frozen):
    figure: str
    first_third: float | None  # the mean over the first third of the windows
    last_third: float | None
    slope_per_hour: float | None  # least squares over every window
    late_slope_per_hour: float | None  # over the last two thirds


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least squares: the change of y per unit of x; None without two distinct x."""
    if len(points) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def trend(name: str, windows: list[Window], figure: Figure) -> Trend:
    third = max(1, len(windows) // 3)
    first = {w.number for w in windows[:third]}
    last = {w.number for w in windows[-third:]}
    late = {w.number for w in windows[third:]} or last
    # A window without the figure (no workflow ended in it, a worker did not answer) is left out.
    points = {
        w.number: ((w.start_s + w.end_s) / 2 / 3600, float(value))
        for w in windows
        if (value := figure(w)) is not None
    }

    def among(numbers: set[int]) -> list[tuple[float, float]]:
        return [point for number, point in points.items() if number in numbers]

    return Trend(
        figure=name,
        first_third=rounded(mean([y for _, y in among(first)])),
        last_third=rounded(mean([y for _, y in among(last)])),
        slope_per_hour=rounded(slope(list(points.values()))),
        late_slope_per_hour=rounded(slope(among(late))),
    )


def figures(windows: list[Window]) -> list[tuple[str, Figure]]:
    """What the summary follows: memory, table sizes and latency, in total and each."""
    workers = sorted({name for w in windows for name in w.rss_mib})
    tables = sorted({name for w in windows for name in w.table_keys})
    found: list[tuple[str, Figure]] = [("RSS, MiB, every worker", lambda w: w.rss_total_mib)]
    if len(workers) > 1:
        found += [(f"RSS, MiB, {name}", by_worker(name)) for name in workers]
    found.append(("table keys, every table", lambda w: w.table_keys_total))
    found += [(f"table keys, {name}", by_table(name)) for name in tables]
    found.append(("workflows counted by the tracker", lambda w: w.workflows))
    found.append(("latency p50, ms", lambda w: w.p50_ms))
    found.append(("latency p99, ms", lambda w: w.p99_ms))
    return found


def by_worker(name: str) -> Figure:
    return lambda w: w.rss_mib.get(name)


def by_table(name: str) -> Figure:
    return lambda w: w.table_keys.get(name)


def trends(windows: list[Window]) -> list[Trend]:
    if not windows:
        return []
    return [trend(name, windows, figure) for name, figure in figures(windows)]
