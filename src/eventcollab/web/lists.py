"""GET /workflows (newest first, by status) and GET /workflows/stats, over every tracker worker.

Each worker reads the index (eventcollab.index) of the partitions it owns; the worker asked also
asks every other owner (`?scope=local`) and merges: lists by start time, counts by sum. While any
partition has no owner, or an owner does not answer, the answer is 503, never a partial
list presented as the whole.
"""

import asyncio
import heapq
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, get_args

import aiohttp
import orjson
from aiohttp import web

from eventcollab import index
from eventcollab.runtime.processor import Processor
from eventcollab.runtime.store import PartitionStore
from eventcollab.web.answers import error
from eventcollab.web.forward import FORWARDED, Forwarder
from eventcollab.workflow import TERMINAL, Status

STATUSES: tuple[Status, ...] = get_args(Status)
OUTCOMES: tuple[Status, ...] = tuple(status for status in STATUSES if status in TERMINAL)
Covered = tuple[list[int], Any]  # the partitions a worker's part covers, and the part
DEFAULT_LIMIT, MAX_LIMIT = 20, 500
MINUTES = 15  # of finished workflows per minute in the stats
OLDEST = 10  # in-progress workflows in the stats


def owned_stores(tracker: Processor) -> list[PartitionStore]:
    assert tracker.store is not None
    opened = (tracker.store.opened(number) for number in sorted(tracker.owned))
    return [store for store in opened if store is not None]


def summaries(
    store: PartitionStore, status: str, before: datetime | None, backwards: bool = False
) -> Iterator[tuple[bytes, index.Summary]]:
    prefix = f"{index.BY_STATUS}/{status}/".encode()
    # Started before `before`: the keys after its own (newest first), past any id at that time.
    start = prefix + f"{index.newest_first(before)}/\xff".encode() if before else None
    for key, value in store.scan(prefix, start, backwards):
        yield key.removeprefix(prefix), index.Summary.model_validate_json(value)


def local_list(
    tracker: Processor, statuses: tuple[str, ...], limit: int, before: datetime | None
) -> list[index.Summary]:
    """This worker's workflows of these statuses, newest first."""
    streams = [summaries(s, status, before) for s in owned_stores(tracker) for status in statuses]
    merged = heapq.merge(*streams, key=lambda found: found[0])
    return [summary for _, summary in islice(merged, limit)]


def local_stats(tracker: Processor, now: datetime) -> dict[str, Any]:
    """Counts of what the table holds, by status; the finished workflows that left it, by
    outcome; the recent minutes; the oldest in progress."""
    counts: Counter[str] = Counter()
    retired: Counter[str] = Counter()
    minutes = [index.minute_of(now - timedelta(minutes=n)) for n in range(MINUTES - 1, -1, -1)]
    finished: Counter[str] = Counter()
    stores = owned_stores(tracker)
    for store in stores:
        for status in STATUSES:
            counts[status] += stored_count(store, index.COUNTS, status)
        for outcome in OUTCOMES:
            retired[outcome] += stored_count(store, index.RETIRED, outcome)
        for minute in minutes:
            finished[minute] += stored_count(store, index.FINISHED, minute)
    oldest_streams = [summaries(s, "in_progress", None, backwards=True) for s in stores]
    oldest = heapq.merge(*oldest_streams, key=lambda found: found[0], reverse=True)
    return {
        "counts": {status: counts[status] for status in STATUSES},
        "retired": {outcome: retired[outcome] for outcome in OUTCOMES},
        "finished_per_minute": [{"minute": m, "count": finished[m]} for m in minutes],
        "oldest_in_progress": [s.model_dump(mode="json") for _, s in islice(oldest, OLDEST)],
    }


def stored_count(store: PartitionStore, table: str, key: str) -> int:
    raw = store.get(f"{table}/{key}".encode())
    return index.Count.model_validate_json(raw).count if raw is not None else 0


def started(summary: dict[str, Any]) -> tuple[datetime, str]:
    # Parsed: as text, a time on the second ("...:53Z") would sort after "...:53.2Z".
    return datetime.fromisoformat(summary["started_at"]), summary["correlation_id"]


def merge_lists(pages: list[list[dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    everything = [summary for page in pages for summary in page]
    everything.sort(key=started, reverse=True)
    return everything[:limit]


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    retired: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    oldest: list[dict[str, Any]] = []
    for part in parts:
        counts.update(part["counts"])
        retired.update(part.get("retired", {}))  # absent from a worker of an earlier version
        finished.update({m["minute"]: m["count"] for m in part["finished_per_minute"]})
        oldest += part["oldest_in_progress"]
    minutes = [m["minute"] for m in parts[0]["finished_per_minute"]] if parts else []
    oldest.sort(key=started)
    return {
        "counts": {status: counts[status] for status in STATUSES},
        "retired": {outcome: retired[outcome] for outcome in OUTCOMES},
        "finished_per_minute": [{"minute": m, "count": finished[m]} for m in minutes],
        "oldest_in_progress": oldest[:OLDEST],
    }


def list_query(request: web.Request) -> tuple[tuple[str, ...], int, datetime | None]:
    """status, limit and before; ValueError says what is wrong."""
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    try:
        limit = int(request.query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    before = request.query.get("before")
    try:
        cursor = datetime.fromisoformat(before) if before else None
    except ValueError:
        raise ValueError("before must be an ISO 8601 time, as started_at gives it") from None
    if cursor is not None and cursor.tzinfo is None:
        cursor = cursor.replace(tzinfo=UTC)
    return ((status,) if status else STATUSES), limit, cursor


class Lists:
    def __init__(self, tracker: Processor, forwarder: Forwarder) -> None:
        self.tracker, self.forwarder = tracker, forwarder

    async def workflows(self, request: web.Request) -> web.Response:
        try:
            statuses, limit, before = list_query(request)
        except ValueError as wrong:
            return error(400, str(wrong))
        local = request.query.get("scope") == "local"
        found = await self.listing(request.query, statuses, limit, before, local)
        if isinstance(found, web.Response):
            return found
        body: dict[str, Any] = {"workflows": found, "next": None}
        if len(found) == limit and not local:
            query = dict(request.query) | {"before": found[-1]["started_at"]}
            body["next"] = str(request.rel_url.with_query(query))
        return json_response(body if not local else found)

    async def stats(self, request: web.Request) -> web.Response:
        found = await self.statistics(request.query.get("scope") == "local")
        return found if isinstance(found, web.Response) else json_response(found)

    async def listing(
        self,
        query: Mapping[str, str],
        statuses: tuple[str, ...],
        limit: int,
        before: datetime | None,
        local: bool = False,
    ) -> Any:
        """Workflows newest first across every worker (this worker's alone when `local`, with
        the partitions they cover), or the error response."""

        def mine() -> list[dict[str, Any]]:
            found = local_list(self.tracker, statuses, limit, before)
            return [summary.model_dump(mode="json") for summary in found]

        parts = await self.everywhere("/workflows", query, mine, local)
        return parts if local or isinstance(parts, web.Response) else merge_lists(parts, limit)

    async def statistics(self, local: bool = False) -> Any:
        now = datetime.now(UTC)
        parts = await self.everywhere(
            "/workflows/stats", {}, lambda: local_stats(self.tracker, now), local
        )
        return parts if local or isinstance(parts, web.Response) else merge_stats(parts)

    async def everywhere(
        self, path: str, query: Mapping[str, str], mine: Callable[[], Any], local: bool
    ) -> Any:
        """Every owner's part (asked with `?scope=local`), checked to cover each partition once;
        or, when `local`, this worker's part alone with the partitions it covers."""
        tracker = self.tracker

        async def own() -> Covered:
            return sorted(tracker.owned), mine()

        return await self.gathered(path, query, own, local)

    async def gathered(
        self,
        path: str,
        query: Mapping[str, str],
        own: Callable[[], Awaitable[Covered]],
        local: bool,
    ) -> Any:
        """As `everywhere`, with this worker's part and the partitions it covers from `own`."""
        tracker = self.tracker
        if not tracker.serving:
            return error(503, "workflow state is recovering")
        if local:
            partitions, part = await own()
            return {"partitions": partitions, "part": part}
        others = sorted(set(tracker.owners.values()) - {self.forwarder.me})
        asked = dict(query) | {"scope": "local"}
        answers = await asyncio.gather(*(self.part_of(peer, path, asked) for peer in others))
        partitions, part = await own()
        parts = [{"partitions": partitions, "part": part}]
        for answer in answers:
            if isinstance(answer, web.Response):
                return answer
            parts.append(answer)
        covered = sorted(number for part in parts for number in part["partitions"])
        if covered != list(range(tracker.settings.partitions)):
            return error(503, "the partitions are moving between workers; ask again")
        return [part["part"] for part in parts]

    async def part_of(self, peer: str, path: str, query: Mapping[str, str]) -> Any:
        http, headers = self.forwarder.http, {FORWARDED: self.forwarder.me}
        assert http is not None
        timeout = aiohttp.ClientTimeout(total=self.forwarder.margin)
        url = f"{peer}{path}"
        try:
            async with http.get(url, params=query, headers=headers, timeout=timeout) as got:
                if got.status != 200:
                    return error(503, f"a tracker worker answered {got.status}", owner=peer)
                return await got.json()
        except (aiohttp.ClientError, TimeoutError):
            return error(503, "a tracker worker cannot be reached", owner=peer)


def json_response(body: Any) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type="application/json")
