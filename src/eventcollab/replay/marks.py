"""What became of each replayed dead letter, on the compacted `dead-letter-replays` topic.

A mark is written when the dead letter's record is published again ("published"), and replaced
once its service has processed that copy: "done", or "failed again" with the new dead letter.
The topic is keyed by dead_letter_id, so compaction keeps the last mark of each: a dead letter
with any mark is never published again (a "published" one is only confirmed).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from eventcollab.dead_letter import DeadLetter

Outcome = Literal["published", "done", "failed again"]
FINAL: tuple[Outcome, ...] = ("done", "failed again")


class Replayed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dead_letter_id: UUID
    service: str  # the dead letter's processor: its consumer group says when the copy is read
    outcome: Outcome
    # Where the copy of the record went: its original topic and partition, a new offset.
    topic: str
    partition: int
    offset: int
    again: UUID | None = None  # the copy's own dead letter, when it failed again
    at: datetime

    def place(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


Marks = dict[UUID, Replayed]


def published(letter: DeadLetter, offset: int, at: datetime) -> Replayed:
    return Replayed(
        dead_letter_id=letter.dead_letter_id,
        service=letter.service,
        outcome="published",
        topic=letter.topic,
        partition=letter.partition,
        offset=offset,
        at=at,
    )


def concluded(mark: Replayed, again: DeadLetter | None, at: datetime) -> Replayed:
    """The mark once the service has read past the copy: done, unless it dead-lettered it."""
    if again is None:
        return mark.model_copy(update={"outcome": "done", "at": at})
    failed: dict[str, object] = {"outcome": "failed again", "again": again.dead_letter_id}
    return mark.model_copy(update=failed | {"at": at})


def latest(values: Iterable[bytes | None]) -> Marks:
    """The last mark of each dead letter, from the topic's values in offset order (one key is on
    one partition); a tombstone or a value that is not a mark is passed over."""
    marks: Marks = {}
    for value in values:
        if value is None:
            continue
        try:
            mark = Replayed.model_validate_json(value)
        except ValidationError:
            continue
        marks[mark.dead_letter_id] = mark
    return marks
