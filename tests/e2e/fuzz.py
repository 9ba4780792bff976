"""Malformed records for the workflow topics and stock-commands, of every kind a producer can
get wrong; each checked to be refused by the services' own validation before it is sent."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args
from uuid import uuid4

from eventcollab.codec import encode
from eventcollab.domain import inventory
from eventcollab.models import AddStock, AnyStockCommand, Event, WorkflowEvent
from eventcollab.records import Refused, command_of, event_of
from eventcollab.topics import STOCK_COMMANDS, WORKFLOW_TOPICS
from tests.unit.builders import happy_path, timed_out_path

# The refusal each kind must meet (see eventcollab.records).
KINDS = {
    "random-bytes": "undecodable",
    "truncated-json": "undecodable",
    "null-value": "undecodable",
    "wrong-types": "invalid",
    "missing-fields": "invalid",
    "unknown-type": "invalid",
    "another-shape": "invalid",
    "huge-value": "invalid",
    "wrong-key": "wrong-key",
}
HUGE_BYTES = (200_000, 900_000)  # under the broker's 1 MB message size
STOCK = STOCK_COMMANDS.name


@dataclass(frozen=True)
class Malformed:
    kind: str
    topic: str  # without the deployment's prefix
    key: bytes | None
    value: bytes | None


def templates() -> dict[str, list[dict[str, Any]]]:
    """Valid records of every type each topic carries, as JSON objects, to be spoiled."""
    events: list[Event] = [*happy_path(), *timed_out_path()]
    topic_of = {kind: spec.name for spec in WORKFLOW_TOPICS for kind in spec.carries}
    found: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        found.setdefault(topic_of[event.event_type], []).append(json.loads(encode(event)))
    reserve = inventory.start_reservation(happy_path()[1])  # type: ignore[arg-type]
    withdraw = inventory.start_withdrawal(timed_out_path()[4])  # type: ignore[arg-type]
    restock = AddStock(command_id=uuid4(), sku="PEN", quantity=3)
    found[STOCK] = [json.loads(encode(c)) for c in (reserve, withdraw, restock)]
    return found


def type_field(topic: str) -> str:
    return "command_type" if topic == STOCK else "event_type"


def dumped(value: dict[str, Any]) -> bytes:
    """JSON with the type first, as the services' codec writes it (so some readers pass over
    a record by its type without decoding it, as they do in production)."""
    field = "command_type" if "command_type" in value else "event_type"
    first = {field: value[field]} if field in value else {}
    return json.dumps({**first, **value}, separators=(",", ":")).encode()


def wrong_types(rng: random.Random, value: dict[str, Any]) -> bytes:
    wrongs = [
        ("event_id", 12345),
        ("command_id", 12345),
        ("correlation_id", 42),
        ("occurred_at", [1, 2]),
        ("causation_id", {"x": 1}),
        ("producer", 3.5),
        ("order", "an order"),
        ("sku", ["PEN"]),
        ("cause", 7),
        ("quantity", "many"),
        ("line_index", "first"),
    ]
    name, wrong = rng.choice([(n, w) for n, w in wrongs if n in value])
    return dumped({**value, name: wrong})


def missing_fields(rng: random.Random, value: dict[str, Any]) -> bytes:
    field = "command_type" if "command_type" in value else "event_type"
    required = sorted(SHAPES[value[field]][1] - {field})
    dropped = rng.sample(required, rng.randint(1, min(3, len(required))))
    return dumped({n: v for n, v in value.items() if n not in dropped})


def unknown_type(rng: random.Random, value: dict[str, Any]) -> bytes:
    field = "command_type" if "command_type" in value else "event_type"
    return dumped({**value, field: rng.choice(["OrderTeleported", "PaymentStolen", "Borrow"])})


def shapes_of(union: Any, field: str) -> dict[str, tuple[set[str], set[str]]]:
    """Per type of the union: its fields, and those it requires."""
    return {
        kind.model_fields[field].default: (
            set(kind.model_fields),
            {name for name, info in kind.model_fields.items() if info.is_required()},
        )
        for kind in get_args(get_args(union)[0])
    }


SHAPES = shapes_of(WorkflowEvent, "event_type") | shapes_of(AnyStockCommand, "command_type")


def another_shape(rng: random.Random, value: dict[str, Any]) -> bytes:
    """The fields of one type under the name of another that has other fields."""
    field = "command_type" if "command_type" in value else "event_type"
    names = set(value)
    others = [
        kind
        for kind, (fields, required) in SHAPES.items()
        if (field in fields) and (names - fields or required - names)
    ]
    return dumped({**value, field: rng.choice(sorted(others))})


def huge(rng: random.Random, value: dict[str, Any]) -> bytes:
    size = rng.randint(*HUGE_BYTES)
    if "order" in value:
        order = {**value["order"], "customer_id": "c" * size}
        return dumped({**value, "order": order})
    return dumped({**value, "padding": "p" * size})


def relabelled(value: dict[str, Any], key: str) -> dict[str, Any]:
    """A valid record of a workflow nobody knows, to be put under another key."""
    if "correlation_id" in value:
        return {**value, "correlation_id": key}
    return value


def make(rng: random.Random, kind: str, topic: str, shapes: list[dict[str, Any]]) -> Malformed:
    value = rng.choice(shapes)
    key = str(uuid4()) if topic != STOCK else rng.choice(["PEN", "INK", "PAPER"])
    spoil: dict[str, Callable[[], bytes | None]] = {
        "random-bytes": lambda: rng.randbytes(rng.randint(1, 300)),
        "truncated-json": lambda: (raw := dumped(value))[: rng.randint(1, len(raw) - 1)],
        "null-value": lambda: None,
        "wrong-types": lambda: wrong_types(rng, value),
        "missing-fields": lambda: missing_fields(rng, value),
        "unknown-type": lambda: unknown_type(rng, value),
        "another-shape": lambda: another_shape(rng, value),
        "huge-value": lambda: huge(rng, value),
        "wrong-key": lambda: dumped(relabelled(value, str(uuid4()))),
    }
    spoiled = spoil[kind]()
    if kind == "wrong-key" and topic == STOCK:
        key = "NOT-" + str(value["sku"])
    malformed = Malformed(kind, topic, key.encode(), spoiled)
    assert refusal(malformed) == KINDS[kind], malformed
    return malformed


def refusal(record: Malformed) -> str | None:
    """How the services' validation refuses the record (None: it accepts it)."""
    check = command_of if record.topic == STOCK else event_of
    try:
        check(record.key, record.value)
    except Refused as refused:
        return refused.kind
    return None


def malformed_records(count_per_kind: dict[str, int], seed: int) -> list[Malformed]:
    """`count_per_kind` malformed records of each kind, over every topic, shuffled."""
    rng = random.Random(seed)
    shapes = templates()
    topics = sorted(shapes)
    made = [
        make(rng, kind, topics[n % len(topics)], shapes[topics[n % len(topics)]])
        for kind, count in count_per_kind.items()
        for n in range(count)
    ]
    rng.shuffle(made)
    return made
