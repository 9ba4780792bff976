"""The flow's exports and report: the event log, the directly-follows counts, JSON and text."""

import csv
import io
import random
from datetime import timedelta

from builders import cancelled_path, declined_path, happy_path
from flows import START, state_of
from test_flow_map import entry

from eventcollab.flowmap.conformance import deviations_of, marks
from eventcollab.flowmap.export import COLUMNS, directly_follows, event_log_csv
from eventcollab.flowmap.from_log import map_of, shares_of, workflows_of
from eventcollab.flowmap.report import as_json, render_text


def test_the_event_log_has_one_row_per_event_in_time_order_per_case() -> None:
    paths = [happy_path(), declined_path(), cancelled_path()]
    events = [event for path in paths for event in path]
    states = workflows_of(random.Random(1).sample(events, len(events)))

    rows = list(csv.DictReader(io.StringIO(event_log_csv(states))))

    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len({event.event_id for event in events})
    by_case: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    for path in paths:
        case = by_case[path[0].correlation_id]
        ordered = sorted(path, key=lambda e: e.occurred_at)
        assert [r["timestamp"] for r in case] == sorted(r["timestamp"] for r in case)
        assert [r["activity"] for r in case] == [e.event_type for e in ordered]
        assert {r["resource"] for r in case} == {e.producer for e in path}


def test_directly_follows_counts_what_came_next_by_time_not_by_cause() -> None:
    # The refund and the release were both caused by OrderCancelling; the release came first.
    timeline = [
        entry("OrderCancelling", "orders", 1, None, 0),
        entry("StockReleased", "inventory", 2, 1, 5),
        entry("PaymentRefunded", "payments", 3, 1, 9),
        entry("OrderCancelled", "orders", 4, 3, 20),
    ]
    state = state_of("w", "cancelled", timeline)

    assert directly_follows(
        {"w": state, "v": state.model_copy(update={"correlation_id": "v"})}
    ) == {
        "OrderCancelling -> StockReleased": 2,
        "PaymentRefunded -> OrderCancelled": 2,
        "StockReleased -> PaymentRefunded": 2,  # by time: no cause joins them
    }


def test_the_report_marks_edges_and_gives_times_counters_deviations_and_variants() -> None:
    states = workflows_of([*happy_path(), *declined_path()])
    shares = shares_of(states)
    flow, variants = map_of(states, shares)
    declared = set(flow.edges) - {"payments/PaymentDeclined -> orders/OrderRejected"}
    declared.add("payments/PaymentRefunded -> orders/OrderCancelled")
    deviations = deviations_of(states, shares, declared, START, timedelta(minutes=20))

    report = as_json(flow, marks(flow.edges, declared), variants, deviations)
    text = render_text(report)

    edges = report["edges"]
    assert edges["payments/PaymentDeclined -> orders/OrderRejected"]["mark"] == "unexpected"
    assert edges["payments/PaymentRefunded -> orders/OrderCancelled"]["mark"] == "never seen"
    hop = edges["orders/OrderPlaced -> payments/PaymentAuthorized"]["hop_ms"]
    assert abs(hop["p50"] - 1000) <= 10  # the builders' events are one second apart
    assert report["deviations"]["unexpected edge"]["workflows"] == 1
    assert [v["workflows"] for v in report["variants"]] == [1, 1]
    assert sum(v["share"] for v in report["variants"]) == 1
    assert "unexpected" in text and "never seen" in text and "variants" in text
