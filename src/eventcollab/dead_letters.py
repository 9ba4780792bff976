"""`eventcollab dead-letters`: the dead letters on the topic, filtered, with a count per service
and error, and what became of those replayed (`replay-dead-letters`; those done are left out but
with `--all`). Reads the whole topics with a plain consumer (no group): it leaves no trace."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faust.cli import option
from pydantic import ValidationError

from eventcollab.audit.log import partitions_of
from eventcollab.dead_letter import DeadLetter, once, tally
from eventcollab.replay.marks import Marks, Replayed, latest
from eventcollab.runtime.kafka import client_options, read_from_start
from eventcollab.settings import Settings
from eventcollab.topics import DEAD_LETTER_REPLAYS, DEAD_LETTERS

ERROR_CHARS = 160  # of the error message on a listed line


@dataclass(frozen=True, slots=True)
class Filters:
    """Which dead letters to list; each filter left out keeps every one."""

    service: str | None = None
    topics: frozenset[str] | None = None  # the source topic, with or without the prefix
    error: str | None = None  # a part of the error type or message, in any case
    since: datetime | None = None  # dead-lettered at or after
    id: str | None = None  # the original key, or the correlation id the original names

    def keep(self, letter: DeadLetter) -> bool:
        return (
            (self.service is None or letter.service == self.service)
            and (self.topics is None or letter.topic in self.topics)
            and (self.error is None or self.error.lower() in error_text(letter).lower())
            and (self.since is None or letter.dead_lettered_at >= self.since)
            and (self.id is None or self.id in (letter.key_text, letter.correlation_id))
        )


def error_text(letter: DeadLetter) -> str:
    return f"{letter.error_type}: {letter.error}"


def since_of(text: str | None) -> datetime | None:
    """An ISO time; one without a zone is UTC, the zone of every recorded time."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def letter_lines(letter: DeadLetter, mark: Replayed | None = None) -> list[str]:
    at = letter.dead_lettered_at.astimezone(UTC).isoformat(timespec="milliseconds")
    source = f"{letter.topic}[{letter.partition}]@{letter.offset}"
    tries = f"{letter.attempts} attempt{'s' if letter.attempts > 1 else ''}"
    error = " ".join(letter.error.split())[:ERROR_CHARS]
    lines = [
        f"{at}  {letter.service:<10} {source}  key {letter.key_text or '-'}",
        f"    {letter.error_type} after {tries}: {error}",
    ]
    if letter.history:
        lines.append(f"    replay of {', '.join(str(one) for one in letter.history)}")
    if mark is not None:
        lines.append(f"    {mark_text(mark)}")
    return lines


def mark_text(mark: Replayed) -> str:
    at = mark.at.astimezone(UTC).isoformat(timespec="milliseconds")
    if mark.outcome == "published":
        return f"replayed to {mark.place()} at {at}, not confirmed yet"
    again = f": dead letter {mark.again}" if mark.again else ""
    return f"replayed to {mark.place()} at {at}, {mark.outcome}{again}"


def report(
    letters: list[DeadLetter],
    on_topic: int,
    unreadable: int,
    marks: Marks | None = None,
    hidden: int = 0,
) -> list[str]:
    """The listed dead letters, then how many, and the count per service and error."""
    counts = tally(letters)
    width = max((len(service) for service, _ in counts), default=0)
    marked = marks or {}
    lines = [
        line
        for letter in letters
        for line in letter_lines(letter, marked.get(letter.dead_letter_id))
    ]
    lines.append(f"dead letters  {len(letters)} (of {on_topic} on the topic)")
    if hidden:
        lines.append(f"replayed      {hidden} done, not listed (--all lists them)")
    if unreadable:
        lines.append(f"unreadable    {unreadable} records on the topic are not dead letters")
    lines += [f"  {service:<{width}}  {error:<16} {n}" for (service, error), n in counts.items()]
    return lines


def readable(values: Iterable[bytes | None]) -> tuple[list[DeadLetter], int]:
    """The dead letters among the values, each once, and how many values were none."""
    letters, unreadable = [], 0
    for value in values:
        try:
            letters.append(DeadLetter.model_validate_json(value or b""))
        except ValidationError:
            unreadable += 1
    return once(letters), unreadable


async def read_dead_letters(settings: Settings) -> tuple[list[DeadLetter], int]:
    servers = client_options(settings)
    topic = settings.topic_name(DEAD_LETTERS.name)
    records = await read_from_start(servers, await partitions_of(servers, (topic,)))
    letters, unreadable = readable(record.value for record in records)
    return sorted(letters, key=lambda letter: letter.dead_lettered_at), unreadable


async def read_marks(settings: Settings) -> Marks:
    """The last mark of each replayed dead letter; none before the first replay."""
    servers = client_options(settings)
    topic = settings.topic_name(DEAD_LETTER_REPLAYS.name)
    records = await read_from_start(servers, await partitions_of(servers, (topic,)))
    return latest(record.value for record in records)


# The filters of the listing, which `replay-dead-letters` takes too.
FILTER_OPTIONS = (
    option("--service", default=None, help="Only those of this processor (payments, ...)."),
    option("--topic", default=None, help="Only those read from this topic (orders, ...)."),
    option("--error", default=None, help="Only those whose error type or message has this."),
    option("--since", default=None, help="Only those dead-lettered since this ISO time."),
    option("--id", "wanted", default=None, help="Only those of this correlation id or key."),
)


def filters_of(
    settings: Settings,
    service: str | None,
    topic: str | None,
    error: str | None,
    since: str | None,
    wanted: str | None,
) -> Filters:
    topics = frozenset({topic, settings.topic_name(topic)}) if topic else None
    return Filters(service, topics, error, since_of(since), wanted)


def install_dead_letters_command(app: Any, settings: Settings) -> None:
    @app.command(
        *FILTER_OPTIONS,
        option("--all", "every", is_flag=True, help="Also those replayed and done."),
    )
    async def dead_letters(
        self: Any,
        service: str | None,
        topic: str | None,
        error: str | None,
        since: str | None,
        wanted: str | None,
        every: bool,
    ) -> None:
        """List the dead letters, oldest first, with a count per service and error."""
        filters = filters_of(settings, service, topic, error, since, wanted)
        letters, unreadable = await read_dead_letters(settings)
        marks = await read_marks(settings)
        kept = [letter for letter in letters if filters.keep(letter)]
        listed = [one for one in kept if every or not done(marks.get(one.dead_letter_id))]
        for line in report(listed, len(letters), unreadable, marks, len(kept) - len(listed)):
            self.say(line)


def done(mark: Replayed | None) -> bool:
    return mark is not None and mark.outcome == "done"
