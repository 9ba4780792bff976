"""The dead-letter record: a record a service could not process, where it came from, and why.

A dead letter is named by the service and the source record's place (topic, partition, offset),
so a unit of work done again after a crash dead-letters the same record under the same id, and
readers count each one once. Keys and values are bytes, in JSON as URL-safe base64.

A record that a replay published again (see eventcollab.replay.letters) carries the ids of the
dead letters it replays in its headers; if it fails again, its new dead letter keeps them as its
`history`, so that the record's whole story is on the topic.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid5

import orjson
from aiokafka import ConsumerRecord
from pydantic import BaseModel, ConfigDict

from eventcollab.models import EVENT_NAMESPACE
from eventcollab.records import Refused

# A dead letter must fit one record batch (1 MB), and base64 makes bytes a third larger: the
# original's value and headers share this room, its key has a room of its own (it is also the
# dead letter's key), and what does not fit is cut (`value_size` and `cut` tell).
MAX_VALUE_BYTES = 512_000
MAX_KEY_BYTES = 16_000
MAX_ERROR_CHARS = 2_000
# Headers of a replayed record: the dead letters it replays, and the earlier dead letters of the
# same record, oldest first (UUIDs, comma-separated; empty when there are none).
REPLAY_OF = "eventcollab-replay-of"
REPLAY_HISTORY = "eventcollab-replay-history"
# A history is read from headers anyone could write: the newest ids are kept, enough for any
# real story, so that a dead letter still fits one record batch.
MAX_HISTORY = 100


class Header(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    key: str
    value: bytes | None


class DeadLetter(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    dead_letter_id: UUID
    service: str  # the processor that gave up on the record
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    value_size: int  # of the original value: larger than `value` when that was cut
    headers: tuple[Header, ...] = ()
    cut: bool = False  # the key, the value or the headers were cut to fit
    record_time: datetime  # the source record's timestamp
    error_type: str  # a refusal (undecodable, invalid, wrong-key) or the exception's class
    error: str
    attempts: int  # 1 for a refusal; the handler's attempts for an exception
    dead_lettered_at: datetime
    # The earlier dead letters of this record, oldest first, when it was a replay; empty else
    # (and in dead letters written before replays existed).
    history: tuple[UUID, ...] = ()

    @property
    def key_text(self) -> str:
        return "" if self.key is None else self.key.decode(errors="replace")

    @property
    def correlation_id(self) -> str | None:
        """The workflow the original names, when it is JSON with a correlation id (an event's,
        or the cause's of a stock command); None when it cannot be told."""
        try:
            value = orjson.loads(self.value or b"")
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        cause = value.get("cause")
        found = value.get(
            "correlation_id", cause.get("correlation_id") if isinstance(cause, dict) else None
        )
        return found if isinstance(found, str) else None


def dead_letter_id(service: str, topic: str, partition: int, offset: int) -> UUID:
    return uuid5(EVENT_NAMESPACE, f"dead-letter/{service}/{topic}/{partition}/{offset}")


def dead_letter(
    service: str,
    record: ConsumerRecord[bytes, bytes],
    error: Exception,
    attempts: int,
    at: datetime,
) -> DeadLetter:
    key, value = record.key, record.value
    kept_key = None if key is None else key[:MAX_KEY_BYTES]
    kept_value = None if value is None else value[:MAX_VALUE_BYTES]
    headers = kept_headers(record.headers or (), MAX_VALUE_BYTES - len(kept_value or b""))
    return DeadLetter(
        dead_letter_id=dead_letter_id(service, record.topic, record.partition, record.offset),
        service=service,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=kept_key,
        value=kept_value,
        value_size=0 if value is None else len(value),
        headers=headers,
        cut=kept_key != key or kept_value != value or len(headers) < len(record.headers or ()),
        record_time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        error_type=error.kind if isinstance(error, Refused) else type(error).__name__,
        error=(str(error) or repr(error))[:MAX_ERROR_CHARS],
        attempts=attempts,
        dead_lettered_at=at,
        history=history_of(record.headers or ()),
    )


def history_of(headers: Iterable[tuple[str, bytes | None]]) -> tuple[UUID, ...]:
    """The earlier dead letters a replayed record names: its history, then what it replays.
    Never raises: it runs while a record is being dead-lettered, whatever its headers hold."""
    named = dict(headers)
    ids = ids_in(named.get(REPLAY_HISTORY)) + ids_in(named.get(REPLAY_OF))
    return tuple(ids[-MAX_HISTORY:])


def ids_in(value: bytes | None) -> list[UUID]:
    """The UUIDs of a comma-separated header value; what is not a UUID is passed over."""
    found = []
    for part in (value or b"").decode(errors="replace").split(","):
        try:
            found.append(UUID(part.strip()))
        except ValueError:
            continue
    return found


def ids_text(ids: Iterable[UUID]) -> bytes:
    """The header value naming `ids` (empty for none)."""
    return ",".join(str(one) for one in ids).encode()


def kept_headers(headers: Iterable[tuple[str, bytes | None]], room: int) -> tuple[Header, ...]:
    """The headers, in order, as long as their keys and values fit in `room` bytes."""
    kept = []
    for key, value in headers:
        room -= len(key.encode()) + len(value or b"")
        if room < 0:
            break
        kept.append(Header(key=key, value=value))
    return tuple(kept)


def once(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """Each dead letter once (a redone unit of work writes it again), in the order first seen."""
    kept: dict[UUID, DeadLetter] = {}
    for letter in letters:
        kept.setdefault(letter.dead_letter_id, letter)
    return list(kept.values())


def tally(letters: Iterable[DeadLetter]) -> dict[tuple[str, str], int]:
    """How many dead letters per (service, error type), sorted."""
    counts = Counter((letter.service, letter.error_type) for letter in letters)
    return dict(sorted(counts.items()))
