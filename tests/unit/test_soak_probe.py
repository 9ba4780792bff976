"""What the workers' /metrics say, summed per table and processor over partitions and workers."""

from eventcollab.soak.probe import scrape_of

TRACKER = """\
# TYPE eventcollab_table_keys gauge
eventcollab_table_keys{partition="0",processor="tracker"} 10.0
eventcollab_table_keys{partition="1",processor="tracker"} 5.0
# TYPE eventcollab_consumer_lag gauge
eventcollab_consumer_lag{partition="0",processor="tracker",topic="x-orders"} 3.0
eventcollab_consumer_lag{partition="1",processor="tracker",topic="x-payments"} 4.0
# TYPE eventcollab_workflows gauge
eventcollab_workflows{status="in_progress"} 2.0
eventcollab_workflows{status="completed"} 7.0
"""
PAYMENTS = """\
# TYPE eventcollab_table_keys gauge
eventcollab_table_keys{partition="0",processor="payments"} 8.0
# TYPE eventcollab_consumer_lag gauge
eventcollab_consumer_lag{partition="0",processor="payments",topic="x-orders"} 1.0
"""
PAYMENTS_TOO = """\
# TYPE eventcollab_table_keys gauge
eventcollab_table_keys{partition="1",processor="payments"} 6.0
"""


def test_table_keys_and_lag_are_summed_over_partitions_and_workers() -> None:
    scrape = scrape_of({"tracker": TRACKER, "payments-1": PAYMENTS, "payments-2": PAYMENTS_TOO})

    assert scrape.table_keys == {"tracker": 15, "payments": 14}
    assert scrape.lag == {"tracker": 7, "payments": 1}
    assert scrape.workflows == 9
    assert scrape.silent == ()


def test_a_table_label_names_each_table_of_a_processor() -> None:
    text = """\
# TYPE eventcollab_table_keys gauge
eventcollab_table_keys{partition="0",processor="stock",table="stock"} 7.0
eventcollab_table_keys{partition="0",processor="stock",table="stock_ledger"} 70.0
eventcollab_table_keys{partition="1",processor="stock",table="stock_ledger"} 30.0
"""

    assert scrape_of({"all": text}).table_keys == {"stock/stock": 7, "stock/stock_ledger": 100}


def test_a_worker_that_did_not_answer_is_named_and_no_tracker_means_no_workflow_count() -> None:
    scrape = scrape_of({"payments": PAYMENTS, "tracker": None})

    assert scrape.silent == ("tracker",)
    assert scrape.workflows is None
    assert scrape.table_keys == {"payments": 8}


def test_what_left_past_the_retention_is_summed_whichever_name_its_table_counts_it_by() -> None:
    tracker = """\
# TYPE eventcollab_entries_removed counter
eventcollab_entries_removed_total{processor="tracker"} 40.0
# TYPE eventcollab_records_passed_over counter
eventcollab_records_passed_over_total{processor="tracker"} 1.0
# TYPE eventcollab_workflows_retired gauge
eventcollab_workflows_retired{outcome="completed"} 9.0
eventcollab_workflows_retired{outcome="cancelled"} 1.0
"""
    payments = """\
# TYPE eventcollab_table_entries_removed counter
eventcollab_table_entries_removed_total{processor="payments"} 12.0
"""

    scrape = scrape_of({"tracker": tracker, "payments": payments})

    assert scrape.removed == {"tracker": 40, "payments": 12}
    assert scrape.passed_over == {"tracker": 1}
    assert scrape.retired == 10
