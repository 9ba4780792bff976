"""The audit and the state retention: a finished workflow that left the tracker's table past the
horizon is no mismatch; one the tracker lost inside the horizon, or while it runs, still is."""

from datetime import timedelta

from builders import at, line
from test_audit import Planted, found

from eventcollab.audit import checks
from eventcollab.models import OrderPlaced


def test_a_finished_workflow_gone_past_the_horizon_is_no_mismatch() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    states = log.tracker()
    newest = states[cid].timeline[-1].occurred_at
    del states[cid]  # the tracker let it go
    later = newest + timedelta(days=30)

    past = checks.audit(log.log(states), now=later, limit=newest + timedelta(microseconds=1))
    inside = checks.audit(log.log(states), now=later, limit=newest)
    kept_for_ever = checks.audit(log.log(states), now=later)

    assert found(past) == set()
    assert found(inside) == found(kept_for_ever) == {("tracker-mismatch", cid)}


def test_a_workflow_still_running_never_left_whatever_its_age() -> None:
    log = Planted()
    log.restock("PEN", 1)
    cid = log.order(line("PEN", 1))
    placed = log.of(cid, OrderPlaced)
    log.events = [e for e in log.events if e.correlation_id != cid or e is placed]
    states = log.tracker()
    del states[cid]

    result = checks.audit(log.log(states), now=at(10**6), limit=at(10**6))

    assert ("tracker-mismatch", cid) in found(result)
