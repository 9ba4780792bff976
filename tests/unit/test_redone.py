"""The graceful-restart case's verdicts: a unit done again shows as an id published twice or a
state written twice; a case with nothing in it proves nothing and fails."""

from uuid import uuid4

from eventcollab.crash.graceful import UNCHANGED_ALLOWED, judged
from eventcollab.crash.redone import published_twice, written_again
from eventcollab.crash.report import GracefulCase, RunReport, Stop, summary


def a_clean_case() -> GracefulCase:
    return GracefulCase(
        began_s=10.0,
        ended_s=25.0,
        stops=[Stop("all", 2.2, 0), Stop("all", 2.4, 0)],
        records={"orders": 400, "payments": 300, "stock-commands": 250},
        changelogs={"tracker-changelog": 900, "stock-changelog": 500},
        orders=200,
        concluded=200,
    )


def verdicts(case: GracefulCase) -> dict[str, bool]:
    report = RunReport("short", seed=1, rate=15.0, workflows_target=300)
    judged(report, case)
    return {check.name.removeprefix("graceful restarts: "): check.ok for check in report.checks}


def test_an_event_published_again_under_its_id_is_found() -> None:
    once, again = str(uuid4()), str(uuid4())

    assert published_twice([once, again, str(uuid4()), again]) == [again]
    assert published_twice([once, str(uuid4())]) == []


def test_a_state_written_again_with_the_value_it_had_is_found() -> None:
    writes = [
        (3, b"payments/c1", b'{"status":"authorized"}'),
        (3, b"payments/c2", b'{"status":"declined"}'),
        (3, b"payments/c1", b'{"status":"authorized"}'),  # the same change stored twice
    ]

    assert written_again(writes) == [b"payments/c1"]


def test_a_state_that_changes_and_changes_back_was_not_written_twice() -> None:
    writes = [
        (3, b"outcomes/c1", b'{"status":"cancelling"}'),
        (3, b"outcomes/c1", b'{"status":"cancelled"}'),
        (3, b"outcomes/c1", b'{"status":"cancelling"}'),
        (3, b"outcomes/c2", b'{"status":"cancelling"}'),  # another key with the same value
    ]

    assert written_again(writes) == []


def test_a_count_kept_per_partition_is_a_key_of_its_own_on_each() -> None:
    minute = b"finished_per_minute/2026-11-28T04:30"
    writes = [(0, minute, b'{"count":1}'), (0, minute, b'{"count":2}'), (1, minute, b'{"count":2}')]

    assert written_again(writes) == []
    assert written_again([*writes, (1, minute, b'{"count":2}')]) == [minute]


def test_a_tombstone_written_twice_is_found_too() -> None:
    writes = [(0, b"workflows/c1", None), (0, b"workflows/c1", None)]

    assert written_again(writes) == [b"workflows/c1"]


def test_totals_a_unit_may_leave_unchanged_are_not_held_against_it() -> None:
    writes = [
        (2, b"status_counts/in_progress", b'{"count":5}'),
        (2, b"status_counts/in_progress", b'{"count":5}'),  # one workflow started, one concluded
        (7, b"stock/CRASH-MOUSE", b'{"available":9758}'),
        (7, b"stock/CRASH-MOUSE", b'{"available":9758}'),  # 3 reserved and 3 released in a unit
        (7, b"stock_ledger/CRASH-MOUSE/o1", b'{"kind":"reserved","quantity":3}'),
        (7, b"stock_ledger/CRASH-MOUSE/o1", b'{"kind":"reserved","quantity":3}'),
    ]

    assert written_again(writes, UNCHANGED_ALLOWED) == [b"stock_ledger/CRASH-MOUSE/o1"]


def test_a_clean_case_passes_every_check() -> None:
    assert verdicts(a_clean_case()) == {
        "each stop exited 0 by itself within 30 s": True,
        "every event and command id once on its topic (nothing redone)": True,
        "no state written twice on a changelog": True,
        "every order placed meanwhile concluded (nothing lost)": True,
    }


def test_each_way_a_restart_can_go_wrong_fails_its_own_check() -> None:
    killed = a_clean_case()
    killed.stops[1] = Stop("all", 30.0, None)  # did not stop by itself: killed after 30 s
    redone = a_clean_case()
    redone.twice = {"payments": [str(uuid4())]}
    stored_twice = a_clean_case()
    stored_twice.written_again = {"payments-changelog": ["payments/c1"]}
    lost = a_clean_case()
    lost.concluded = 199

    failed = [
        [name for name, ok in verdicts(case).items() if not ok]
        for case in (killed, redone, stored_twice, lost)
    ]

    assert failed == [
        ["each stop exited 0 by itself within 30 s"],
        ["every event and command id once on its topic (nothing redone)"],
        ["no state written twice on a changelog"],
        ["every order placed meanwhile concluded (nothing lost)"],
    ]


def test_a_case_with_nothing_in_it_proves_nothing() -> None:
    empty = GracefulCase()

    assert not any(verdicts(empty).values())


def test_the_summary_gives_the_case_figures() -> None:
    report = RunReport("short", seed=1, rate=15.0, workflows_target=300)
    report.graceful = a_clean_case()
    report.graceful.twice = {"payments": [str(uuid4())]}

    text = summary(report)

    assert "2 restarts by SIGTERM from 10.0 s to 25.0 s" in text
    assert "all 2.2 s (exit 0), all 2.4 s (exit 0)" in text
    assert "950 events and commands, 1 published twice" in text
    assert "1400 changelog records, 0 written again" in text
    assert "orders placed 200, concluded 200" in text
