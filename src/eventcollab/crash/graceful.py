"""The graceful-restart case: workers restarted by SIGTERM only, one after another, under load.

A worker stopped this way finishes its unit of work, commits and leaves its groups, so whoever
reads on after it redoes nothing: no event published twice, no state written twice, no order
lost. The kill -9 faults rightly republish (a unit read again publishes its events again), so
the case is judged over its own records only: from the topics' end offsets at its start, once
every group has caught up, to those at its end, once every group has caught up again.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord

from eventcollab import index, topics
from eventcollab.agents import inventory, orders, payments, shipping, tracker
from eventcollab.codec import decode_event, decode_stock_command
from eventcollab.crash.records import Offsets, end_offsets, read_between
from eventcollab.crash.redone import published_twice, written_again
from eventcollab.crash.report import Clock, GracefulCase, RunReport, Stop, say
from eventcollab.crash.run import Run
from eventcollab.crash.trackers import TERMINAL
from eventcollab.models import OrderPlaced
from eventcollab.runtime.store import changelog_key

# Before each stop, under load: the worker started last is at work again, and before the first,
# every unit under way when the offsets were taken has committed (were it done again, its first
# copies would lie before the case and the second alone within it).
PAUSE_SECONDS = (0.5, 1.5)
# Totals that a unit may leave where they were and still write: the in-progress count when it
# starts one workflow and concludes another, a SKU's level when it reserves and releases as much.
UNCHANGED_ALLOWED = (changelog_key(index.COUNTS, ""), changelog_key("stock", ""))


async def restarts(run: Run, labels: Sequence[str]) -> None:
    """Stop each worker with SIGTERM and start it again, one after the other."""
    await run.fleet.settle()
    case = run.report.graceful = GracefulCase(began_s=Clock.now())
    case.starts = await offsets(run)
    say(f"graceful restarts of {', '.join(labels)}, offsets taken")
    for label in labels:
        await run.pause(*PAUSE_SECONDS)
        await run.fleet.stop(label, "graceful restart")
        ended = run.fleet.workers[label].exits[-1]
        case.stops.append(Stop(label, ended.seconds, ended.returncode))
        await run.fleet.start(label, reason="started again after SIGTERM")
        await run.fleet.settle()
    case.ends = await offsets(run)
    case.ended_s = Clock.now()
    say("graceful restarts done, offsets taken")


def changelogs(run: Run) -> list[str]:
    """The changelog of every processor that keeps tables."""
    names = topics.declare(run.settings)
    services = (orders, payments, inventory, shipping, tracker)
    specs = [spec for service in services for spec in service.processors(run.settings, names)]
    return [run.settings.changelog_of(spec.name) for spec in specs if spec.tables]


async def offsets(run: Run) -> Offsets:
    """Where the case's topics end: those of events and commands, and the changelogs."""
    published = [name for name in run.topics.all() if name != run.topics.dead_letters]
    names = [*published, *changelogs(run)]
    _, consumer = await run.probe.connect()  # connected already: it measures every drain
    return await end_offsets(consumer, names, run.settings.partitions)


async def checked(run: Run, states: dict[str, Any]) -> None:
    """Once every workflow concluded: the case's records, each event once, each state once."""
    case = run.report.graceful
    if case is None or not case.ends:
        run.report.check("graceful restarts done", False, "the case did not run to its end")
        return
    read = await read_between(run.broker.bootstrap, case.starts, case.ends)
    by_topic: dict[str, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
    for record in read:
        by_topic[record.topic].append(record)
    logs = set(changelogs(run))
    for name in case.ends:
        records, named = by_topic[name], shown(run, name)
        if name in logs:
            case.changelogs[named] = len(records)
            again = written_again(
                ((r.partition, r.key, r.value) for r in records), UNCHANGED_ALLOWED
            )
            if again:
                case.written_again[named] = [key.decode() for key in again]
        else:
            case.records[named] = len(records)
            # The load's own retried writes may land twice: not a unit done again.
            twice = set(published_twice(ids_of(run, name, records))) - run.load.retried
            if twice:
                case.twice[named] = sorted(twice)
    placed = placed_in(by_topic[run.topics.orders])
    case.orders = len(placed)
    case.concluded = sum(states.get(cid, {}).get("status") in TERMINAL for cid in placed)
    judged(run.report, case)


def shown(run: Run, topic: str) -> str:
    """The topic's name without the run's prefix, and a changelog's without its app id."""
    return topic.removeprefix(run.settings.topic_prefix).removeprefix(f"{run.settings.app_id}-")


def ids_of(run: Run, topic: str, records: list[ConsumerRecord[bytes, bytes]]) -> list[str]:
    if topic == run.topics.stock_commands:
        return [str(decode_stock_command(r.value).command_id) for r in records]
    return [str(decode_event(r.value).event_id) for r in records]


def placed_in(records: list[ConsumerRecord[bytes, bytes]]) -> set[str]:
    events = (decode_event(r.value) for r in records)
    return {e.correlation_id for e in events if isinstance(e, OrderPlaced)}


def judged(report: RunReport, case: GracefulCase) -> None:
    stops = ", ".join(f"{s.worker} {s.seconds:.1f} s, exit {s.code}" for s in case.stops)
    clean = bool(case.stops) and all(s.code == 0 for s in case.stops)
    report.check("graceful restarts: each stop exited 0 by itself within 30 s", clean, stops)
    events = sum(case.records.values())
    twice = {name: f"{len(ids)}, e.g. {ids[0]}" for name, ids in case.twice.items()}
    report.check(
        "graceful restarts: every event and command id once on its topic (nothing redone)",
        events > 0 and not twice,
        f"{events} records; published twice: {twice}",
    )
    written = sum(case.changelogs.values())
    again = {name: f"{len(keys)}, e.g. {keys[0]}" for name, keys in case.written_again.items()}
    report.check(
        "graceful restarts: no state written twice on a changelog",
        written > 0 and not again,
        f"{written} changelog records; written again: {again}",
    )
    report.check(
        "graceful restarts: every order placed meanwhile concluded (nothing lost)",
        case.orders > 0 and case.concluded == case.orders,
        f"{case.concluded} of {case.orders}",
    )
