"""The wall clock, in one place: the pure core takes the time as an argument."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def instant_of(text: str) -> datetime:
    """An ISO 8601 time as a person or a program writes it; one without a zone is UTC, the zone
    of every recorded time (a naive time could not be compared with them). ValueError if not."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
