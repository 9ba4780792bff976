"""Idempotency-Key on POST /orders: the same key always names the same workflow.

No store remembers the keys. The workflow's correlation id and its OrderPlaced's event id are
derived from the key, so a repeat, on any worker and after any restart, publishes the very
event the first request published, which every reader already drops as seen. What is left to
check is the body: the tracker holds the order of the workflow, and a key repeated with another
order is refused.
"""

from typing import Literal
from uuid import UUID, uuid5

from eventcollab.models import EVENT_NAMESPACE, Order, derived_id

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

Repeat = Literal["new", "same", "different"]


def idempotency_key(values: list[str]) -> str | None:
    """The request's key (None without the header); ValueError says what is wrong with it."""
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"send one {KEY_HEADER} header, not {len(values)}")
    key = values[0]
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ValueError(f"an {KEY_HEADER} has 1 to {MAX_KEY_LENGTH} characters")
    if not (key.isascii() and key.isprintable()):
        raise ValueError(f"an {KEY_HEADER} is printable ASCII (space to ~)")
    return key


def keyed_ids(key: str) -> tuple[str, UUID]:
    """The correlation id of the workflow that `key` names, and the id of its OrderPlaced."""
    workflow = uuid5(EVENT_NAMESPACE, f"idempotency-key/{key}")
    return str(workflow), derived_id(workflow, "OrderPlaced")


def repeat_of(stored: Order | None, asked: Order) -> Repeat:
    """What a request is, given the order the tracker holds for its key's workflow."""
    if stored is None:
        return "new"
    return "same" if stored == asked else "different"
