"""The benchmark report's throughput ratios: per round, against raw's completions."""

from typing import Any

from eventcollab.bench.phases import half_load
from eventcollab.bench.report import markdown, ratios

RAW, MINE = "raw aiokafka", "eventcollab all-in-one"


def round_of(number: int, raw: float, completed: float, recorded: float) -> dict[str, Any]:
    saturation = {"workflows_per_s": completed, "recorded_per_s": recorded}
    return {
        "round": number,
        "contenders": {
            RAW: {"saturation": {"workflows_per_s": raw, "recorded_per_s": raw}},
            MINE: {"saturation": saturation},
        },
    }


ROUNDS = [round_of(1, 1000.0, 700.0, 350.0), round_of(2, 2000.0, 1000.0, 800.0)]


def test_the_ratio_counts_completions_and_the_recorded_ratio_waits_for_the_tracker() -> None:
    completed = ratios(ROUNDS, [MINE])
    recorded = ratios(ROUNDS, [MINE], "recorded_per_s")

    assert [row[MINE] for row in completed["by_round"]] == [0.7, 0.5]
    assert [row[MINE] for row in recorded["by_round"]] == [0.35, 0.4]
    assert recorded["median"][MINE] == 0.375


def test_a_round_without_a_recorded_figure_has_no_ratio() -> None:
    rounds = [round_of(1, 1000.0, 700.0, 350.0)]
    rounds[0]["contenders"][MINE]["saturation"]["recorded_per_s"] = None

    assert ratios(rounds, [MINE], "recorded_per_s")["by_round"] == [{"round": 1, MINE: None}]


def test_the_report_lists_both_ratios_round_by_round() -> None:
    figures = {"workflows_per_s": 1.0, "recorded_per_s": 1.0}
    empty = dict.fromkeys(
        ("p50_ms", "p95_ms", "p99_ms", "cpu_s_per_1000", "broker_cpu_s_per_1000"), None
    )
    medians = {
        name: figures | empty | {"peak_rss_mib": None, "status_p50_ms": None, "status_p99_ms": None}
        for name in (MINE, RAW)
    }
    data = {
        "machine": {"cores": 2, "ram_gib": 1, "cpu": "x", "python": "3", "kafka": "3"},
        "settings": {"rounds": 2, "orders": 10},
        "half_load_rate": 1.0,
        "medians": medians,
        "throughput_ratio_to_raw": ratios(ROUNDS, [MINE]),
        "recorded_ratio_to_raw": ratios(ROUNDS, [MINE], "recorded_per_s"),
        "kafka_perf": None,
        "rounds": ROUNDS,
    }

    text = markdown(data)

    assert f"- round 1: {MINE} 0.700" in text and f"- round 1: {MINE} 0.350" in text
    assert f"- round 2: {MINE} 0.500" in text and f"- round 2: {MINE} 0.400" in text


def test_the_half_load_is_half_of_what_the_tracker_keeps_up_with() -> None:
    assert half_load({"workflows_per_s": 1200.0, "recorded_per_s": 700.0}) == 350.0
    # The tracker did not catch up within the timeout: the services' rate is all there is.
    assert half_load({"workflows_per_s": 1200.0, "recorded_per_s": None}) == 600.0
