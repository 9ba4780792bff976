"""latest.json and latest.md: every round's numbers, their medians, and the ratios to raw."""

import json
from pathlib import Path
from typing import Any

from eventcollab.bench.contenders import PER_SERVICE, RAW, SCALE_OUT
from eventcollab.bench.stats import median

# (section, field) of each figure whose median the summary shows.
FIGURES = {
    "workflows_per_s": ("saturation", "workflows_per_s"),
    "recorded_per_s": ("saturation", "recorded_per_s"),
    "p50_ms": ("latency", "p50_ms"),
    "p95_ms": ("latency", "p95_ms"),
    "p99_ms": ("latency", "p99_ms"),
    "cpu_s_per_1000": ("saturation", "cpu_s_per_1000"),
    "broker_cpu_s_per_1000": ("saturation", "broker_cpu_s_per_1000"),
    "peak_rss_mib": (None, "peak_rss_mib"),
    "status_p50_ms": ("status_query", "p50_ms"),
    "status_p99_ms": ("status_query", "p99_ms"),
    "restore_records_per_s": ("restore", "records_per_s"),
}
CORES = ("contender", "broker", "bench")


def figure(result: dict[str, Any], section: str | None, name: str) -> float | None:
    holder = result.get(section, {}) if section else result
    value = holder.get(name)
    return float(value) if value is not None else None


def medians(rounds: list[dict[str, Any]], name: str) -> dict[str, float | None]:
    results = [r["contenders"][name] for r in rounds if name in r["contenders"]]
    values = {key: [figure(r, *where) for r in results] for key, where in FIGURES.items()}
    return {key: median([v for v in found if v is not None]) for key, found in values.items()}


def ratios(
    rounds: list[dict[str, Any]], names: list[str], field: str = "workflows_per_s"
) -> dict[str, Any]:
    """Throughput of each eventcollab shape over raw's in the same round, and their median.
    `field` "recorded_per_s": eventcollab's counted until its tracker had the burst too (raw's
    status map has each workflow as it completes)."""
    by_round = []
    for entry in rounds:
        raw = figure(entry["contenders"].get(RAW, {}), "saturation", "workflows_per_s")
        row: dict[str, Any] = {"round": entry["round"]}
        for name in names:
            mine = figure(entry["contenders"][name], "saturation", field)
            row[name] = round(mine / raw, 3) if mine and raw else None
        by_round.append(row)
    median_of = {
        name: median([row[name] for row in by_round if row[name] is not None]) for name in names
    }
    return {"by_round": by_round, "median": median_of}


def assemble(outcome: dict[str, Any], machine: dict[str, Any], settings: Any) -> dict[str, Any]:
    rounds = outcome["rounds"]
    names = list(rounds[0]["contenders"]) if rounds else []
    shapes = [name for name in names if name != RAW]
    return {
        "machine": machine,
        "settings": settings,
        "half_load_rate": outcome["half_load_rate"],
        "seconds": outcome["seconds"],
        "medians": {name: medians(rounds, name) for name in names},
        "throughput_ratio_to_raw": ratios(rounds, shapes) if RAW in names else None,
        "recorded_ratio_to_raw": (
            ratios(rounds, shapes, "recorded_per_s") if RAW in names else None
        ),
        "kafka_perf": outcome["kafka_perf"],
        "profile": outcome.get("profile"),
        "rounds": rounds,
    }


def cell(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(data: dict[str, Any]) -> str:
    machine, rate = data["machine"], data["half_load_rate"]
    lines = [
        "# Benchmark: latest run",
        "",
        f"Machine: {machine['cores']} cores, {machine['ram_gib']} GiB RAM ({machine['cpu']}), "
        f"Python {machine['python']}, Kafka {machine['kafka']} (single private broker).",
        f"Medians of {data['settings']['rounds']} rounds; saturation: "
        f"{data['settings']['orders']:,} orders written at once; latency at "
        f"{cell(rate)} orders/s (half the all-in-one worker's first saturation, counted until "
        "its tracker had recorded the burst).",
        "",
        *table(data),
        "",
        "Each figure is the median of the rounds' figures; the ratio is the median of the rounds'",
        "throughput ratios (same round, same broker). Peak RSS is of the whole processes, not",
        "per 1,000 workflows. Charts: [throughput](throughput.png), [latency](latency.png).",
        "",
        "Throughput ratio to raw, round by round:",
        "",
    ]
    for row in (data["throughput_ratio_to_raw"] or {}).get("by_round", []):
        shares = ", ".join(f"{k} {cell(v, 3)}" for k, v in row.items() if k != "round")
        lines.append(f"- round {row['round']}: {shares}")
    recorded = (data.get("recorded_ratio_to_raw") or {}).get("by_round", [])
    if recorded:
        lines += [
            "",
            "The same, counting each burst until eventcollab's tracker had recorded it (its",
            "consumer group committed every event of the burst; raw's status map changes with",
            "each event it handles). The CPU figures above count up to that point too:",
            "",
        ]
    for row in recorded:
        shares = ", ".join(f"{k} {cell(v, 3)}" for k, v in row.items() if k != "round")
        lines.append(f"- round {row['round']}: {shares}")
    sections = [*per_hop(data), *scale_out(data), *extras(data), *profiled(data)]
    return "\n".join([*lines, *sections]) + "\n"


def table(data: dict[str, Any]) -> list[str]:
    ratio = (data["throughput_ratio_to_raw"] or {}).get("median", {})
    lines = [
        "| contender | workflows/s | recorded/s | p50 ms | p95 ms | p99 ms | CPU s / 1,000 wf | "
        "broker CPU s / 1,000 wf | peak RSS MiB | GET status p50 / p99 ms | ratio to raw |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in data["medians"].items():
        status = f"{cell(m['status_p50_ms'])} / {cell(m['status_p99_ms'])}"
        share = ratio.get(name) if name != RAW else 1.0
        lines.append(
            f"| {name} | {cell(m['workflows_per_s'])} | {cell(m.get('recorded_per_s'))} | "
            f"{cell(m['p50_ms'])} | "
            f"{cell(m['p95_ms'])} | {cell(m['p99_ms'])} | {cell(m['cpu_s_per_1000'], 2)} | "
            f"{cell(m['broker_cpu_s_per_1000'], 2)} | {cell(m['peak_rss_mib'])} | "
            f"{status if m['status_p50_ms'] is not None else '-'} | {cell(share, 3)} |"
        )
    return lines


def hop_medians(data: dict[str, Any], name: str) -> dict[str, dict[str, float | None]]:
    """Per hop, the median over the rounds of its p50 and p99."""
    found: dict[str, dict[str, list[float]]] = {}
    for entry in data["rounds"]:
        latency = entry["contenders"].get(name, {}).get("latency", {})
        for hop, figures in latency.get("hops", {}).items():
            for key in ("p50_ms", "p99_ms"):
                if key in figures:
                    found.setdefault(hop, {}).setdefault(key, []).append(figures[key])
    return {hop: {k: median(v) for k, v in figures.items()} for hop, figures in found.items()}


def per_hop(data: dict[str, Any]) -> list[str]:
    """Each hop's p50 / p99 at the half load, contenders side by side."""
    names = [name for name in data["medians"] if name not in SCALE_OUT]
    by_name = {name: hop_medians(data, name) for name in names}
    every_hop = sorted({hop for found in by_name.values() for hop in found})
    if not every_hop:
        return []
    lines = [
        "",
        "Per hop at the half load, p50 / p99 ms (from the cause's `occurred_at` to the effect's):",
        "",
        "| hop | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for hop in every_hop:
        cells = [by_name[name].get(hop, {}) for name in names]
        shown = [f"{cell(c.get('p50_ms'))} / {cell(c.get('p99_ms'))}" for c in cells]
        lines.append(f"| {hop} | " + " | ".join(shown) + " |")
    return lines


def scale_out(data: dict[str, Any]) -> list[str]:
    """Throughput with 1, 2 and 4 workers of each service, and the cores each run kept busy."""
    shapes = {PER_SERVICE: 1, **SCALE_OUT}
    present = [name for name in shapes if name in data["medians"]]
    if len(present) < 2:
        return []
    base = data["medians"][present[0]]["workflows_per_s"]
    lines = [
        "",
        "Scale-out (saturation only; cores: median CPU seconds per second of the burst):",
        "",
        "| workers of each service | workflows/s | vs 1 | cores: workers / broker / bench |",
        "|---:|---:|---:|---|",
    ]
    for name in present:
        rate = data["medians"][name]["workflows_per_s"]
        gain = rate / base if rate and base else None
        cores = " / ".join(cell(core_median(data, name, part), 2) for part in CORES)
        lines.append(f"| {shapes[name]} | {cell(rate)} | {cell(gain, 2)} | {cores} |")
    return lines


def core_median(data: dict[str, Any], name: str, part: str) -> float | None:
    found = [
        r["contenders"][name]["saturation"].get("cores", {}).get(part)
        for r in data["rounds"]
        if name in r["contenders"]
    ]
    return median([v for v in found if v is not None])


def extras(data: dict[str, Any]) -> list[str]:
    """The restore rate and the broker's own limit, where measured."""
    lines = [""]
    first: dict[str, Any] = next(iter(data["medians"].values()), {})
    restore = first.get("restore_records_per_s")
    if restore is not None:
        lines.append(
            f"Changelog restore of the all-in-one worker with an empty data folder: "
            f"{cell(restore, 0)} records/s (median; the runtime's Store.restore, every changelog)."
        )
    kafka = data.get("kafka_perf") or {}
    if "produce" in kafka:
        produced = cell(kafka["produce"]["records_per_s"], 0)
        consumed = cell(kafka["consume"]["records_per_s"], 0)
        lines.append(
            f"The broker's own limit ({kafka['records']:,} records of {kafka['record_bytes']} "
            f"bytes, acks=all): kafka-producer-perf-test {produced} records/s, "
            f"kafka-consumer-perf-test {consumed} records/s."
        )
    return lines


def profiled(data: dict[str, Any]) -> list[str]:
    """The all-in-one worker's CPU by kind of work, from py-spy's samples (profile.txt)."""
    found = data.get("profile")
    if not found:
        return []
    if "error" in found:
        return ["", f"Profile: not taken ({found['error']})."]
    lines = [
        "",
        f"Profile of the all-in-one worker through a saturation burst "
        f"({found['workflows_per_s']:,} workflows/s; py-spy, {found['samples']:,} samples; "
        "stacks in [profile.txt](profile.txt)), by what the innermost known frame was doing:",
        "",
        "| work | share of samples |",
        "|---|---:|",
        *(f"| {kind} | {share} % |" for kind, share in found["kinds_percent"].items()),
        "",
        "Functions with the most samples of their own: "
        + "; ".join(f"{name} {share} %" for name, share in found["top_self_percent"][:10])
        + ".",
    ]
    return lines


def write(folder: Path, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    (folder / "latest.md").write_text(markdown(data))
