"""Stuck workflows per node: who waits after which event longer than a share of the deadline."""

import random
from datetime import timedelta
from uuid import UUID

import pytest
from flows import ORDER, START
from tracked import CHAIN, ended, waiting

from eventcollab.deadlines import Deadlines
from eventcollab.flowmap.stuck import Stuck, stuck_of
from eventcollab.workflow import TimelineEntry, WorkflowState, applied

LIMITS = Deadlines(authorize=10, reserve=20, schedule=30)
# Seconds of the step awaited after each node of the completed path (completing has none).
DEADLINE = {CHAIN[0]: 10, CHAIN[1]: 20, CHAIN[2]: 30}
NOW = START + timedelta(seconds=60)


def generated(seed: int) -> tuple[list[WorkflowState], dict[str, list[tuple[str, float]]]]:
    """Workflows waiting after each node for whole ms, with finished ones; and, for every node,
    each workflow waiting after it with how long it has waited at NOW."""
    chance = random.Random(seed)
    states = ended(chance, 20, timedelta(seconds=60))
    waits: dict[str, list[tuple[str, float]]] = {node: [] for node in CHAIN[:4]}
    for number in range(200):
        after, since = chance.randint(1, 4), chance.randrange(0, 60_000)
        correlation_id = f"s{number:04d}"
        states.append(waiting(chance, correlation_id, after, since))
        waits[CHAIN[after - 1]].append((correlation_id, 60_000.0 - since))
    chance.shuffle(states)
    return states, waits


@pytest.mark.parametrize("ratio", [0.25, 0.5, 1.0])
def test_exactly_the_workflows_waiting_longer_than_their_share_of_the_deadline_are_stuck(
    ratio: float,
) -> None:
    states, waits = generated(1)

    stuck = stuck_of(states, LIMITS, ratio, NOW)

    expected = {}
    for node, seconds in DEADLINE.items():
        limit = seconds * 1000 * ratio
        over = sorted((w for w in waits[node] if w[1] > limit), key=lambda w: (-w[1], w[0]))
        if over:
            expected[node] = (len(over), over, limit)
    found = {
        node: (
            at.count,
            [(w.correlation_id, w.waited_ms) for w in at.longest],
            at.longest[0].limit_ms,
        )
        for node, at in stuck.nodes.items()
    }
    assert found == expected
    assert stuck.workflows == sum(count for count, _, _ in expected.values())
    # Waiting to complete the order has no deadline: never stuck, however long.
    assert CHAIN[3] not in stuck.nodes and waits[CHAIN[3]]


def test_a_wait_of_exactly_the_limit_is_not_stuck_and_one_millisecond_more_is() -> None:
    chance = random.Random(2)
    at_limit = waiting(chance, "at-limit", 1, 55_000)  # waited 5 s of authorize's 10 s
    beyond = waiting(chance, "beyond", 1, 54_999)

    stuck = stuck_of([at_limit, beyond], LIMITS, 0.5, NOW)

    (only,) = stuck.nodes[CHAIN[0]].longest
    assert (only.correlation_id, only.waited_ms, only.limit_ms) == ("beyond", 5001.0, 5000.0)
    assert only.waiting_for == at_limit.waiting_for and only.waiting_for.service == "payments"


def test_the_count_stays_exact_when_the_ids_listed_are_bounded() -> None:
    states, waits = generated(3)
    over = sorted((w for w in waits[CHAIN[0]] if w[1] > 5000), key=lambda w: (-w[1], w[0]))
    assert len(over) > 10

    stuck = stuck_of(states, LIMITS, 0.5, NOW, listed=10)

    at = stuck.nodes[CHAIN[0]]
    assert at.count == len(over)
    assert [w.correlation_id for w in at.longest] == [cid for cid, _ in over[:10]]


def test_the_stuck_of_two_disjoint_parts_merged_equal_the_stuck_of_the_whole() -> None:
    states, _ = generated(4)
    whole = stuck_of(states, LIMITS, 0.5, NOW, listed=7)
    chance = random.Random(5)
    for _ in range(10):
        chance.shuffle(states)
        cut = chance.randint(0, len(states))
        parts = [
            stuck_of(half, LIMITS, 0.5, NOW, listed=7) for half in (states[:cut], states[cut:])
        ]

        assert parts[0].merge(parts[1], listed=7) == whole
        assert parts[1].merge(parts[0], listed=7).model_dump_json() == whole.model_dump_json()
    assert Stuck().merge(whole) == whole


def step(
    state: WorkflowState, kind: str, producer: str, number: int, seconds: float
) -> WorkflowState:
    """The state after one more step, caused by the last step of its timeline."""
    cause = max(state.timeline, key=lambda e: e.occurred_at)
    entry = TimelineEntry(
        event_type=kind,
        producer=producer,
        event_id=UUID(int=number),
        causation_id=cause.event_id,
        occurred_at=START + timedelta(seconds=seconds),
    )
    after = applied(state, entry, state.correlation_id, ORDER)
    assert after is not None
    return after


def test_a_workflow_that_moves_on_or_ends_is_no_longer_listed() -> None:
    stalled = waiting(random.Random(6), "stalled", 1, 0)  # 60 s without payment
    assert stuck_of([stalled], LIMITS, 0.5, NOW).nodes[CHAIN[0]].count == 1

    paid = step(stalled, "PaymentAuthorized", "payments", 1, 58)  # waits for stock since 2 s
    assert stuck_of([paid], LIMITS, 0.5, NOW) == Stuck()
    # Still waiting for its stock 11 s later: stuck again, after the new node only.
    later = stuck_of([paid], LIMITS, 0.5, NOW + timedelta(seconds=9))
    assert list(later.nodes) == [CHAIN[1]] and later.nodes[CHAIN[1]].longest[0].waited_ms == 11_000

    declined = step(stalled, "PaymentDeclined", "payments", 2, 58)
    rejected = step(declined, "OrderRejected", "orders", 3, 59)
    assert stuck_of([rejected], LIMITS, 0.5, NOW + timedelta(hours=1)) == Stuck()


def test_a_workflow_being_cancelled_is_never_stuck() -> None:
    stalled = waiting(random.Random(7), "cancelling", 2, 0)
    cancelling = step(stalled, "OrderCancelling", "orders", 1, 1)
    assert cancelling.status == "compensating"

    assert stuck_of([cancelling], LIMITS, 1.0, NOW + timedelta(hours=1)) == Stuck()


@pytest.mark.parametrize("ratio", [0.0, -0.5, 1.01])
def test_a_stuck_ratio_outside_zero_to_one_is_refused(ratio: float) -> None:
    with pytest.raises(ValueError, match="stuck ratio"):
        stuck_of([], LIMITS, ratio, NOW)
