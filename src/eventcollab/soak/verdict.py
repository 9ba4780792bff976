"""What a soak run came to: how every order placed ended, how each worker stopped, what failed."""

from eventcollab.bench.stats import percentile
from eventcollab.crash.load import Load
from eventcollab.crash.processes import Worker
from eventcollab.soak.ends import Ends
from eventcollab.soak.windows import Finish, Frozen

LOST_SHOWN = 10
OUTCOME_ORDER = ("completed", "rejected", "cancelled")
# A placement that raised, or a valid order the orders service refused (see crash.load).
PLACEMENT_FAILURES = ("placement_errors", "http_422")


class Tally(Frozen):
    placed: int  # acknowledged, or found on the log
    via_http: int
    via_direct: int
    unanswered_posts: int  # a POST without an answer; its order counts if the log has it
    ended: int
    outcomes: dict[str, int]
    lost: int  # placed and never ended
    lost_sample: list[str]
    conflicting: int  # workflows with two different outcomes
    conflicting_sample: list[str]  # "<correlation id>: <each outcome, in order>"
    repeated_outcomes: int  # an outcome record seen twice, the same
    undecodable: int
    # The load's attempts that went otherwise than planned: failed placements, HTTP answers
    # other than 202 (a POST refused falls back to a direct write), writes retried.
    load_counts: dict[str, int]
    unacknowledged: int  # placements still waiting for the broker when the load stopped
    p50_ms: float | None  # of every workflow
    p99_ms: float | None
    max_ms: float | None
    drain_s: float | None  # from the load's stop until the last workflow ended


class WorkerEnd(Frozen):
    worker: str
    exited_during_run: str | None  # how, if it did
    stop_code: int | None
    stop_s: float | None
    clean: bool


def failures_of(tally: Tally, workers: list[WorkerEnd], log_failures: list[str]) -> list[str]:
    found = []
    if tally.lost:
        found.append(f"{tally.lost} orders placed never ended: {', '.join(tally.lost_sample)}")
    if tally.conflicting:
        found.append(
            f"{tally.conflicting} workflows ended twice, differently: "
            + "; ".join(tally.conflicting_sample)
        )
    failed = {k: n for k, n in tally.load_counts.items() if k in PLACEMENT_FAILURES}
    if failed or tally.unacknowledged:
        found.append(f"placements failed {failed}, unacknowledged {tally.unacknowledged}")
    found += [f"{w.worker} {w.exited_during_run}" for w in workers if w.exited_during_run]
    found += [
        f"{w.worker} did not stop cleanly (exit {w.stop_code})"
        for w in workers
        if not w.clean and not w.exited_during_run
    ]
    found += log_failures[:20]
    return found


def worker_ends(workers: list[Worker], exited: dict[str, str]) -> list[WorkerEnd]:
    ends = []
    for worker in workers:
        stop = worker.exits[-1] if worker.exits else None
        code = stop.returncode if stop else (worker.process.returncode if worker.process else None)
        ends.append(
            WorkerEnd(
                worker=worker.label,
                exited_during_run=exited.get(worker.label),
                stop_code=code,
                stop_s=stop.seconds if stop else None,
                clean=stop is not None and stop.clean and worker.label not in exited,
            )
        )
    return ends


def tally(load: Load, ends: Ends, placed: set[str], left: int, stopped_wall: float) -> Tally:
    lost = sorted(ends.unfinished(placed))
    took = [float(t) for _, t in ends.finishes]
    last = max((at for at, _ in ends.finishes), default=None)
    counts = load.tally()
    return Tally(
        placed=len(placed | ends.placed),
        via_http=counts["http"],
        via_direct=counts["direct"],
        unanswered_posts=len(load.unanswered),
        ended=len(ends.outcome),
        outcomes={k: sum(1 for v in ends.outcome.values() if v == k) for k in OUTCOME_ORDER},
        lost=len(lost),
        lost_sample=lost[:LOST_SHOWN],
        conflicting=len(ends.conflicting),
        conflicting_sample=[
            f"{cid}: {', '.join(outcomes)}"
            for cid, outcomes in sorted(ends.conflicting.items())[:LOST_SHOWN]
        ],
        repeated_outcomes=ends.repeated,
        undecodable=ends.undecodable,
        load_counts=dict(load.counts),
        unacknowledged=left,
        p50_ms=round(percentile(took, 0.5), 1) if took else None,
        p99_ms=round(percentile(took, 0.99), 1) if took else None,
        max_ms=round(max(took), 1) if took else None,
        drain_s=round(max(0.0, last / 1000 - stopped_wall), 1) if last and not lost else None,
    )


def finishes_of(ends: Ends, began_wall: float) -> list[Finish]:
    return [(at / 1000 - began_wall, float(took)) for at, took in ends.finishes]
