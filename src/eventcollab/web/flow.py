"""GET /flow: the flow map of every workflow the tracker holds, merged over its workers.

Each tracker worker answers for the partitions it owns from its live view (flowmap.live); the
worker asked merges the parts (maps and variants are sums, deviations are sets of ids). The
answer covers every workflow stored when each worker read its part.
"""

import asyncio
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from eventcollab.flowmap import declared, report
from eventcollab.flowmap.aggregate import FlowMap, merged
from eventcollab.flowmap.conformance import DEVIATIONS, GRACE, SAMPLES, Deviation, Found, marks
from eventcollab.flowmap.live import FlowView
from eventcollab.flowmap.partition import PartitionFlow, found
from eventcollab.flowmap.variants import Variants
from eventcollab.runtime.processor import Processor
from eventcollab.runtime.work import Work
from eventcollab.web.answers import error, seconds_in
from eventcollab.web.lists import Covered, Lists, json_response, owned_stores, summaries


class Whole:
    """The merged map, its variants and deviations."""

    def __init__(self, flow: FlowMap, variants: Variants, deviations: dict[Deviation, Found]):
        self.flow, self.variants, self.deviations = flow, variants, deviations

    def as_json(self) -> dict[str, Any]:
        marked = marks(self.flow.edges, declared.expected_names())
        return report.as_json(self.flow, marked, self.variants, self.deviations)


def part_json(parts: Iterable[PartitionFlow]) -> dict[str, Any]:
    parts = list(parts)
    return {
        "map": merged(p.flow for p in parts).model_dump(mode="json"),
        "variants": merged_variants(p.variants for p in parts).model_dump(mode="json"),
        "deviations": {k: v.model_dump(mode="json") for k, v in found(parts).items()},
    }


def merged_variants(all_variants: Iterable[Variants]) -> Variants:
    total = Variants()
    for variants in all_variants:
        total = total.merge(variants)
    return total


def missing_terminal(tracker: Processor, started_before: datetime) -> dict[str, Any]:
    """The workflows of this worker's partitions still without an outcome, started before the
    instant: the one deviation that depends on the time, read from the status index."""
    ids = [
        summary.correlation_id
        for store in owned_stores(tracker)
        for status in ("in_progress", "compensating")
        for _, summary in summaries(store, status, started_before)
    ]
    return Found(workflows=len(ids), samples=tuple(sorted(ids)[:SAMPLES])).model_dump(mode="json")


WEEK = 7 * 24 * 3600.0  # the longest grace asked for


def grace_of(query: Mapping[str, str]) -> timedelta:
    """`?grace=SECONDS`: how long a workflow may run without an outcome (20 min unless asked)."""
    default = GRACE.total_seconds()
    return timedelta(seconds=seconds_in(query, "grace", default, 0, WEEK))


def whole_of(parts: list[Mapping[str, Any]]) -> Whole:
    flow = merged(FlowMap.model_validate(p["map"]) for p in parts)
    variants = merged_variants(Variants.model_validate(p["variants"]) for p in parts)
    deviations: dict[Deviation, Found] = {}
    for part in parts:
        for kind, one in part["deviations"].items():
            had = deviations.get(kind, Found(workflows=0, samples=()))
            deviations[kind] = Found(
                workflows=had.workflows + one["workflows"],
                samples=tuple(sorted({*had.samples, *one["samples"]})[:SAMPLES]),
            )
    in_order = {kind: deviations[kind] for kind in DEVIATIONS if kind in deviations}
    return Whole(flow, variants, in_order)


# Bringing the map up to date runs in the tracker's loop, where it holds up the records; under
# load it costs about 0.25 ms per workflow that moved since the last time. A part is therefore
# served again, not made anew, until this many times what making it cost in that loop has
# passed (the wait for the loop's turn not counted: behind a broker outage it can be a minute),
# and never longer than MOST_STALE: the map takes about a tenth of the tracker's time at most,
# however often it is asked for, and is never more than a few seconds old.
REUSE_FACTOR = 10
MOST_STALE = 5.0


class FlowPages:
    def __init__(self, tracker: Processor, lists: Lists, view: FlowView) -> None:
        self.tracker, self.lists, self.view = tracker, lists, view
        tracker.keepers.append(view.kept)
        tracker.observers.append(view.observe)
        self.last: tuple[float, Covered] | None = None  # when it may be made anew, and the part

    async def map_part(self) -> Covered:
        """This worker's partitions and their maps, made anew or served again (REUSE_FACTOR)."""
        if self.last is not None and time.monotonic() < self.last[0]:
            return self.last[1]
        spent = [0.0]

        def current(work: Work) -> PartitionFlow:
            began = time.perf_counter()
            try:
                return self.view.current(work)
            finally:
                spent[0] += time.perf_counter() - began

        parts = await asyncio.wrap_future(self.tracker.reading(current))
        made = sorted(parts), part_json(parts.values())
        self.last = (time.monotonic() + min(REUSE_FACTOR * spent[0], MOST_STALE), made)
        return made

    async def own(self, grace: timedelta) -> Covered:
        """The map part, with the workflows still without an outcome `grace` after their start
        (read from the index each time: cheap, and it depends on the time)."""
        partitions, part = await self.map_part()
        late = missing_terminal(self.tracker, datetime.now(UTC) - grace)
        deviations = dict(part["deviations"]) | {"missing terminal": late}
        return partitions, dict(part) | {"deviations": deviations}

    async def whole(self, query: Mapping[str, str], local: bool = False) -> Any:
        """The merged map (or this worker's part when `local`), or an error response."""
        try:
            grace = grace_of(query)
        except ValueError as wrong:
            return error(400, str(wrong))
        return await self.lists.gathered("/flow", query, lambda: self.own(grace), local)

    async def get(self, request: web.Request) -> web.Response:
        local = request.query.get("scope") == "local"
        parts = await self.whole(request.query, local)
        if isinstance(parts, web.Response) or local:
            return parts if isinstance(parts, web.Response) else json_response(parts)
        return json_response(whole_of(parts).as_json())
