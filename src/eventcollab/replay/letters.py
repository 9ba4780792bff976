"""Which dead letters a replay publishes again, grouped by the record they hold (PURE).

A record that several services failed has one dead letter per service; it is published once,
and each of its dead letters that has no mark yet follows it, whichever the filters picked: the
copy reaches every reader of the topic, so each of those services is processing it again.
A dead letter whose key, value or headers were cut is refused: publishing the part that was
kept would be another record.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from aiokafka import TopicPartition

from eventcollab.dead_letter import REPLAY_HISTORY, REPLAY_OF, DeadLetter, dead_letter_id, ids_text
from eventcollab.replay.log import Record, position_key
from eventcollab.replay.marks import Marks, Replayed

Source = tuple[str, int, int]  # the original record's topic, partition and offset
Headers = list[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class Found:
    """A dead letter and the record on the dead-letter topic that holds it."""

    record: Record
    letter: DeadLetter


@dataclass(frozen=True, slots=True)
class Original:
    """A record to publish again to its topic and partition, with its dead letters."""

    letters: tuple[DeadLetter, ...]  # oldest first
    at: Record  # where a replay stands once this record is done (its first dead letter's)

    @property
    def first(self) -> DeadLetter:
        return self.letters[0]

    def headers(self) -> Headers:
        """The original headers, then what the copy replays and the record's earlier story."""
        kept = [(h.key, h.value) for h in self.first.headers if h.key not in REPLAY_HEADERS]
        ids = [letter.dead_letter_id for letter in self.letters]
        history = merged(letter.history for letter in self.letters)
        return [*kept, (REPLAY_OF, ids_text(ids)), (REPLAY_HISTORY, ids_text(history))]


REPLAY_HEADERS = (REPLAY_OF, REPLAY_HISTORY)  # a copy of a copy names its own, not the old ones


@dataclass(frozen=True, slots=True)
class Plan:
    originals: list[Original]  # in the order of the dead-letter topic, partition by partition
    refused: list[DeadLetter]  # cut to fit: never published
    to_confirm: list[Replayed]  # published by an earlier run, not confirmed yet

    @property
    def letters(self) -> int:
        return sum(len(original.letters) for original in self.originals)


def plan(
    found: Iterable[Found],
    marks: Marks,
    keep: Callable[[DeadLetter], bool],
    after: Mapping[str, int],
) -> Plan:
    """The records to publish for the dead letters `keep` selects that have no mark, from the
    dead-letter topic's offsets `after` (per `topic:partition`, where an earlier run stopped)."""
    unmarked = [one for one in each_once(found) if one.letter.dead_letter_id not in marks]
    members: dict[Source, list[DeadLetter]] = defaultdict(list)
    for one in unmarked:
        members[source(one.letter)].append(one.letter)
    originals: list[Original] = []
    refused: list[DeadLetter] = []
    taken: set[Source] = set()
    for one in unmarked:
        if not keep(one.letter) or source(one.letter) in taken or passed(one.record, after):
            continue
        taken.add(source(one.letter))
        letters = tuple(sorted(members[source(one.letter)], key=lambda x: x.dead_lettered_at))
        if one.letter.cut:
            refused.extend(letters)
        else:
            originals.append(Original(letters, one.record))
    pending = [mark for mark in marks.values() if mark.outcome == "published"]
    return Plan(originals, refused, pending)


def each_once(found: Iterable[Found]) -> list[Found]:
    """Each dead letter once (a redone unit of work writes it again), in topic order."""
    kept: dict[UUID, Found] = {}
    for one in found:
        kept.setdefault(one.letter.dead_letter_id, one)
    return sorted(kept.values(), key=lambda one: (one.record.partition, one.record.offset))


def passed(record: Record, after: Mapping[str, int]) -> bool:
    offset: int = record.offset
    return offset < after.get(position_key(TopicPartition(record.topic, record.partition)), 0)


def source(letter: DeadLetter) -> Source:
    return letter.topic, letter.partition, letter.offset


def merged(histories: Iterable[tuple[UUID, ...]]) -> list[UUID]:
    """Every id once, in the order first named."""
    return list(dict.fromkeys(one for history in histories for one in history))


def copy_letter_id(mark: Replayed) -> UUID:
    """The id the copy's dead letter has if the service fails it again (ids derive from the
    service and the record's place)."""
    return dead_letter_id(mark.service, mark.topic, mark.partition, mark.offset)
