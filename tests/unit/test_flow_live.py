"""The live view: what it serves is always the fold of what the store holds."""

import random

import pytest
from flows import ORDER, PATHS, timeline_of

from eventcollab import workflow
from eventcollab.flowmap import declared
from eventcollab.flowmap.live import TABLE, FlowView, Left
from eventcollab.flowmap.partition import PartitionFlow, folded
from eventcollab.runtime.memory import MemoryStore
from eventcollab.runtime.work import Work
from eventcollab.workflow import TimelineEntry, WorkflowState

EXPECTED = declared.expected_names()


class Tracker:
    """A store, units of work that fold events into it, and a view told what each unit stored."""

    def __init__(self, view: FlowView) -> None:
        self.store, self.view = MemoryStore(), view
        self.states: dict[int, dict[str, WorkflowState]] = {}

    def unit(self, events: list[tuple[int, str, TimelineEntry]], failing: str = "") -> None:
        work = Work(self.store, 1 << 20)
        for partition, cid, entry in events:
            work.on(partition)
            work.savepoint()
            before = work.load(TABLE, cid, WorkflowState)
            after = workflow.applied(before, entry, cid, ORDER)
            if after is None:
                continue
            work.save(TABLE, cid, after)
            work.note(cid, entry.event_id)
            if cid == failing:  # a handler that raised after noting: taken back whole
                work.rollback()
                continue
            self.states.setdefault(partition, {})[cid] = after
        self.store.write(work.changes)
        self.view.kept(work)

    def retire(self, partition: int, cid: str) -> None:
        """The workflow leaves the table, as the tracker's retention check removes it."""
        work = Work(self.store, 1 << 20)
        work.on(partition)
        state = work.load(TABLE, cid, WorkflowState)
        assert state is not None
        work.delete(TABLE, cid)
        work.note(cid, Left(state))
        del self.states[partition][cid]
        self.store.write(work.changes)
        self.view.kept(work)

    def served(self, partition: int) -> PartitionFlow:
        work = Work(self.store, 1 << 20)
        work.on(partition)
        return self.view.current(work)

    def expected(self, partition: int) -> PartitionFlow:
        return folded(self.states.get(partition, {}).values(), EXPECTED)


def same(a: PartitionFlow, b: PartitionFlow) -> bool:
    return a.flow == b.flow and a.variants == b.variants and a.deviant == b.deviant


def events(chance: random.Random) -> list[tuple[int, str, TimelineEntry]]:
    found = [
        (n % 2, f"{name}-{n}", e)
        for name, roots in PATHS.items()
        for n in range(4)
        for e in timeline_of(roots, chance)
    ]
    chance.shuffle(found)
    return found


def test_served_after_every_unit_is_the_fold_of_the_store() -> None:
    chance = random.Random(3)
    tracker = Tracker(FlowView(EXPECTED))
    todo = events(chance)
    while todo:
        size = chance.randint(1, 6)
        tracker.unit(todo[:size])
        todo = todo[size:]
        if chance.random() < 0.5:  # asked now and then: between asks the view only takes notes
            for partition in (0, 1):
                assert same(tracker.served(partition), tracker.expected(partition))
    assert tracker.served(0).flow.workflows + tracker.served(1).flow.workflows == 12


def test_a_rolled_back_event_never_reaches_the_map() -> None:
    chance = random.Random(5)
    tracker = Tracker(FlowView(EXPECTED))
    first, *rest = [e for e in events(chance) if e[0] == 0]
    tracker.unit([first])
    assert same(tracker.served(0), tracker.expected(0))
    tracker.unit(rest, failing=first[1])
    assert same(tracker.served(0), tracker.expected(0))


def test_a_partition_noted_too_long_unasked_is_dropped_and_built_again() -> None:
    chance = random.Random(9)
    view = FlowView(EXPECTED, noted=2)
    tracker = Tracker(view)
    todo = events(chance)
    tracker.unit(todo[:3])
    tracker.served(0), tracker.served(1)
    tracker.unit(todo[3:])  # more than 2 workflows changed on each partition
    assert view.parts == {} and view.changed == {}
    assert same(tracker.served(0), tracker.expected(0))
    assert same(tracker.served(1), tracker.expected(1))


def test_partitions_taken_away_are_forgotten_and_built_again_from_the_store() -> None:
    chance = random.Random(11)
    view = FlowView(EXPECTED)
    tracker = Tracker(view)
    todo = events(chance)
    tracker.unit(todo[:10])
    tracker.served(0)
    view.observe(None)
    assert view.parts == {}
    tracker.unit(todo[10:])
    assert view.changed == {}  # nothing noted for a partition not built
    assert same(tracker.served(0), tracker.expected(0))


def test_a_map_out_of_step_with_the_store_is_built_again_from_it() -> None:
    chance = random.Random(13)
    view = FlowView(EXPECTED)
    tracker = Tracker(view)
    todo = [e for e in events(chance) if e[0] == 0]
    tracker.unit(todo[:8])
    tracker.served(0)
    view.parts[0] = PartitionFlow()  # lost track: nothing counted, yet events are stored
    tracker.unit(todo[8:])
    assert same(tracker.served(0), tracker.expected(0))


def test_workflows_that_leave_the_table_leave_the_map(caplog: pytest.LogCaptureFixture) -> None:
    chance = random.Random(17)
    tracker = Tracker(FlowView(EXPECTED))
    todo = events(chance)
    gone: set[str] = set()
    while todo:
        size = chance.randint(1, 6)
        tracker.unit(todo[:size])
        todo = todo[size:]
        for partition, held in tracker.states.items():
            if held and chance.random() < 0.4:  # some with steps the map has not counted yet
                cid = chance.choice(sorted(held))
                tracker.retire(partition, cid)
                gone.add(cid)
        if chance.random() < 0.5:
            for partition in (0, 1):
                assert same(tracker.served(partition), tracker.expected(partition))
    for partition in (0, 1):
        assert same(tracker.served(partition), tracker.expected(partition))
    # Some left and came back with their later steps, as new workflows: counted once each.
    assert tracker.served(0).flow.workflows + tracker.served(1).flow.workflows == sum(
        len(held) for held in tracker.states.values()
    )
    assert gone
    assert "out of step" not in caplog.text  # moved on each time, never built again


def test_a_workflow_that_leaves_before_the_map_counted_it_takes_nothing_out() -> None:
    chance = random.Random(19)
    tracker = Tracker(FlowView(EXPECTED))
    first, *rest = [e for e in events(chance) if e[0] == 0]
    tracker.unit([first])
    tracker.served(0)  # built: counts the first workflow
    newcomer = next(e for e in rest if e[1] != first[1])
    tracker.unit([newcomer])
    tracker.retire(0, newcomer[1])  # noted, never counted, and gone

    assert same(tracker.served(0), tracker.expected(0))
    assert tracker.served(0).flow.workflows == 1


def test_a_partition_whose_leavers_pile_up_unasked_is_dropped_and_built_again() -> None:
    chance = random.Random(23)
    view = FlowView(EXPECTED, noted=2)
    tracker = Tracker(view)
    tracker.unit([e for e in events(chance) if e[0] == 0])
    tracker.served(0)
    for cid in sorted(tracker.states[0])[:3]:  # more than 2 left, nobody asked meanwhile
        tracker.retire(0, cid)

    assert view.parts == {} and view.left == {}
    assert same(tracker.served(0), tracker.expected(0))
