"""A partition's map moved on by the workflows that changed equals the fold of their states."""

import random

from flows import ODD, ORDER, PATHS, timeline_of

from eventcollab import workflow
from eventcollab.flowmap import declared
from eventcollab.flowmap.aggregate import merged
from eventcollab.flowmap.causal import share_of
from eventcollab.flowmap.partition import Moved, PartitionFlow, folded, found, updated
from eventcollab.flowmap.variants import Variants
from eventcollab.workflow import TERMINAL, TimelineEntry, WorkflowState

EXPECTED = declared.expected_names()


def same(a: PartitionFlow, b: PartitionFlow) -> bool:
    return (
        a.flow.model_dump_json() == b.flow.model_dump_json()
        and a.variants.model_dump_json() == b.variants.model_dump_json()
        and a.deviant == b.deviant
    )


def arrivals(chance: random.Random) -> list[tuple[str, TimelineEntry]]:
    workflows = {
        f"{name}-{n}": timeline_of(roots, chance) for name, roots in PATHS.items() for n in range(3)
    }
    workflows["odd"] = list(ODD)  # skewed, doubled, orphaned, and an earlier second start
    events = [(cid, e) for cid, timeline in workflows.items() for e in timeline]
    chance.shuffle(events)
    return events


def test_moving_the_map_batch_by_batch_gives_the_fold_of_the_stored_states() -> None:
    for seed in range(20):
        chance = random.Random(seed)
        states: dict[str, WorkflowState] = {}
        part = PartitionFlow()
        events = arrivals(chance)
        while events:
            size = chance.randint(1, 9)
            batch, events = events[:size], events[size:]
            fresh: dict[str, set[object]] = {}
            for cid, entry in batch:
                after = workflow.applied(states.get(cid), entry, cid, ORDER)
                if after is not None:
                    states[cid] = after
                    fresh.setdefault(cid, set()).add(entry.event_id)
            moved = [Moved(states[cid], frozenset(ids)) for cid, ids in fresh.items()]  # type: ignore[arg-type]
            part = updated(part, moved, EXPECTED)
            assert same(part, folded(states.values(), EXPECTED)), seed
        assert part.flow.workflows == len(states)
        assert part.variants.workflows == sum(s.status in TERMINAL for s in states.values())


def test_the_odd_workflow_shows_its_deviations_and_loses_them_when_they_end() -> None:
    placed, skewed, doubled, reserved, orphan, _ = ODD
    state = None
    for entry in (placed, skewed, doubled, reserved, orphan):
        state = workflow.applied(state, entry, "odd", ORDER) or state
    assert state is not None
    part = folded([state], EXPECTED)
    assert part.deviant == {"duplicate": {"odd"}, "orphan cause": {"odd"}}

    clean = workflow.applied(None, placed, "clean", ORDER)
    assert clean is not None
    both = updated(part, [Moved(clean, frozenset({placed.event_id}))], EXPECTED)
    assert found([both])["duplicate"].samples == ("odd",)
    assert found([both])["orphan cause"].workflows == 1
    assert found([both])["unexpected edge"].workflows == 0


def test_maps_of_disjoint_partitions_merge_to_the_map_of_all() -> None:
    chance = random.Random(7)
    states: dict[str, WorkflowState] = {}
    for cid, entry in arrivals(chance):
        states[cid] = workflow.applied(states.get(cid), entry, cid, ORDER) or states[cid]
    ids = sorted(states)
    halves = [folded((states[i] for i in ids[k::2]), EXPECTED) for k in (0, 1)]
    whole = folded(states.values(), EXPECTED)

    assert merged(h.flow for h in halves) == whole.flow
    assert halves[0].variants.merge(halves[1].variants) == whole.variants
    assert found(halves) == found([whole])
    assert whole.flow.workflows == len(states) and isinstance(whole.variants, Variants)
    assert whole.flow.nodes == merged(folded([s], EXPECTED).flow for s in states.values()).nodes
    assert sum(share_of(s.timeline).orphans for s in states.values()) == whole.flow.orphans
