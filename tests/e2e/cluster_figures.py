"""The figures of a broker outage, from the workflows' own times (the tracker's timelines)."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

Span = tuple[float, float]  # a workflow's first and last step, epoch seconds


@dataclass
class Outage:
    victim: int  # the node killed
    led: str  # how many of the deployment's partitions it led
    killed_at: float
    leaders_moved_at: float | None = None  # every partition led by another node
    soon_completed_at: float = 0.0  # the orders placed just after the kill had all completed
    restarted_at: float = 0.0
    ready_at: float = 0.0
    in_sync_at: float = 0.0  # back in every ISR


def spans(states: dict[str, Any]) -> list[Span]:
    found = []
    for state in states.values():
        began = datetime.fromisoformat(state["started_at"]).timestamp()
        found.append((began, began + state["duration_ms"] / 1000))
    return found


def longest_pause(ends: Iterable[float], since: float) -> float:
    """The longest time from `since` on with no workflow completing."""
    times = [since, *sorted(end for end in ends if end > since)]
    return max(later - earlier for earlier, later in pairwise(times))


def figures(
    outage: Outage,
    workflows: list[Span],
    rate: float,
    audit: Any,
    retried_units: dict[str, int],
    retried_sends: int,
) -> str:
    killed, back = outage.killed_at, outage.restarted_at
    before = [end - began for began, end in workflows if end < killed]
    during = [end - began for began, end in workflows if began < back and end > killed]
    after_kill = [end for began, end in workflows if began >= killed]
    copies = audit["summary"]["duplicates"]["events"]
    moved = "-" if outage.leaders_moved_at is None else f"{outage.leaders_moved_at - killed:.1f} s"
    return "\n".join(
        [
            f"three brokers: {len(workflows)} orders placed at {rate:g}/s, all completed; "
            f"node {outage.victim} killed (kill -9), it led {outage.led} partitions",
            f"  kill -> every partition led by another node: {moved}",
            f"  kill -> first completion of an order placed after it: "
            f"{min(after_kill) - killed:.1f} s; longest time with no completion: "
            f"{longest_pause((end for _, end in workflows), killed):.1f} s; the orders of the "
            f"first seconds after the kill all completed {outage.soon_completed_at - killed:.1f} s "
            "after it",
            f"  workflows: median {statistics.median(before):.2f} s, longest {max(before):.2f} s "
            f"before the kill; longest during the outage {max(during):.1f} s",
            f"  node {outage.victim} started again {back - killed:.1f} s after the kill, ready in "
            f"{outage.ready_at - back:.1f} s, back in every ISR {outage.in_sync_at - back:.1f} s "
            "after its start",
            f"  audit clean: {audit['summary']['workflows']}; event copies (retried appends) "
            f"{copies}; units of work retried {sum(retried_units.values())}; placements "
            f"re-sent {retried_sends}",
        ]
    )
