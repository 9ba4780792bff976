"""Variants: the distinct causation trees that workflows took, counted exactly."""

import random
from collections import Counter
from uuid import UUID

from flows import PATHS, state_of, timeline_of

from eventcollab.flowmap.variants import (
    SAMPLES,
    Finished,
    Variants,
    finished_of,
    path_of,
    variant_id,
    variants_of,
)
from eventcollab.workflow import Status

STATUS_OF: dict[str, Status] = {
    "completed": "completed",
    "rejected": "rejected",
    "cancelled": "cancelled",
}


def finished(name: str, number: int, chance: random.Random) -> Finished:
    timeline = timeline_of(PATHS[name], chance)
    status: Status = STATUS_OF[name]
    done = finished_of(state_of(f"wf-{number:04d}", status, timeline))
    assert done is not None
    return done


def test_three_paths_in_random_interleaving_give_exactly_three_variants() -> None:
    for seed in range(5):
        chance = random.Random(seed)
        names = [n for n in PATHS for _ in range(chance.randint(3, 30))]
        chance.shuffle(names)
        variants = Variants()
        for number, name in enumerate(names):
            variants = variants.plus(finished(name, number, chance))

        counts = Counter(names)
        assert len(variants.by_id) == 3
        by_path = {v.path: v.workflows for v in variants.by_id.values()}
        for name, roots in PATHS.items():
            path = path_of(timeline_of(roots, random.Random(99)))
            assert by_path[path] == counts[name]
        assert variants.workflows == len(names)
        assert [v.workflows for _, v in variants.ranked()] == sorted(counts.values(), reverse=True)


def test_a_path_does_not_depend_on_times_or_on_which_branch_came_first() -> None:
    forms = {path_of(timeline_of(PATHS["cancelled"], random.Random(s))) for s in range(30)}

    assert len(forms) == 1
    [form] = forms
    assert form.startswith("orders/CancelRequested(orders/OrderCancelling(")
    assert "inventory/StockReleased,payments/PaymentRefunded(orders/OrderCancelled)" in form


def test_a_doubled_effect_or_a_missing_cause_is_a_path_of_its_own() -> None:
    timeline = timeline_of(PATHS["rejected"], random.Random(1))
    declined = next(e for e in timeline if e.event_type == "PaymentDeclined")
    again = declined.model_copy(update={"event_id": UUID(int=declined.event_id.int + 1)})
    orphaned = [e for e in timeline if e.event_type != "PaymentDeclined"]

    paths = {path_of(timeline), path_of([*timeline, again]), path_of(orphaned)}

    assert len(paths) == 3
    assert path_of(orphaned) == "orders/OrderPlaced + orders/OrderRejected"


def test_variants_merge_in_any_split_and_keep_the_smallest_ids_as_samples() -> None:
    chance = random.Random(3)
    done = [finished(n, i, chance) for i, n in enumerate(["completed"] * 12 + ["rejected"] * 4)]
    whole = Variants()
    for one in done:
        whole = whole.plus(one)
    shuffled = list(done)
    chance.shuffle(shuffled)
    left, right = Variants(), Variants()
    for one in shuffled[:7]:
        left = left.plus(one)
    for one in shuffled[7:]:
        right = right.plus(one)

    assert left.merge(right).model_dump_json() == whole.model_dump_json()
    completed = whole.by_id[variant_id(done[0].path)]
    assert completed.samples == tuple(f"wf-{n:04d}" for n in range(SAMPLES))
    assert completed.durations.count == 12


def test_a_workflow_taken_out_leaves_its_variant_as_before() -> None:
    chance = random.Random(4)
    first, second = finished("rejected", 1, chance), finished("rejected", 2, chance)
    before = Variants().plus(first)

    assert before.plus(second).minus(second) == before
    assert before.minus(first) == Variants()


def test_a_running_workflow_has_no_variant_yet() -> None:
    timeline = timeline_of(PATHS["completed"], random.Random(2))
    running = state_of("wf-1", "in_progress", timeline)

    assert finished_of(running) is None


def test_many_workflows_at_once_make_the_same_variants_as_one_by_one() -> None:
    chance = random.Random(8)
    done = [finished(n, i, chance) for i, n in enumerate(["cancelled"] * 9 + ["completed"] * 3)]
    one_by_one = Variants()
    for one in reversed(done):
        one_by_one = one_by_one.plus(one)

    assert variants_of(done) == one_by_one
