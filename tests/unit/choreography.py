"""Every way the services can take one order through the workflow, on their real decisions.

Each service reads each of its topics in order and its topics at their own pace; each SKU's stock
commands apply in order on their own partition; a customer may ask to cancel at any moment; the
tracker reports a step past its deadline whenever the order waits for one (every deadline is
zero here, so each can pass at any moment). Every interleaving of these is explored, each
distinct situation once, and every event published is kept with the event that caused it.

The tracker is taken to have read every event published so far: one that lags reports the same
waits, started by the same events, only later.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import TypeVar
from uuid import uuid4

from builders import LIMIT, T0, line, order

from eventcollab import deadlines, workflow
from eventcollab.agents import inventory as inventory_agent
from eventcollab.agents import orders as orders_agent
from eventcollab.agents import payments as payments_agent
from eventcollab.agents import shipping as shipping_agent
from eventcollab.domain import inventory, orders, payments, shipping
from eventcollab.domain.inventory import LedgerEntry, StockLevel
from eventcollab.models import (
    CancelRequested,
    Event,
    Order,
    OrderCancelling,
    OrderPlaced,
    PaymentAuthorized,
    StockCommand,
    derived_id,
)
from eventcollab.settings import Settings
from eventcollab.topics import WORKFLOW_TOPICS, declare

SETTINGS = Settings()
TOPICS = declare(SETTINGS)
ZERO = deadlines.Deadlines(authorize=0, reserve=0, schedule=0)
# Where each event type is published.
TOPIC_OF = {
    kind: SETTINGS.topic_name(spec.name) for spec in WORKFLOW_TOPICS for kind in spec.carries
}
# The event types each service acts on, and the topics it reads, as its worker subscribes them.
ACTS_ON = {
    "orders": orders.REACTS_TO,
    "payments": payments.REACTS_TO,
    "inventory": inventory.STARTS_CHAIN,
    "shipping": shipping.REACTS_TO,
}
READS = {
    spec.name: spec.inputs
    for agent in (orders_agent, payments_agent, inventory_agent, shipping_agent)
    for spec in agent.processors(SETTINGS, TOPICS)
    if spec.name in ACTS_ON
}

V = TypeVar("V")
Message = Event | StockCommand
# Each message is numbered once: a situation holds numbers, quick to compare and hash.
Queue = tuple[tuple[str, str], tuple[int, ...]]  # (reader, topic or SKU), what it has to read


@dataclass(frozen=True, slots=True)
class Situation:
    """Where the order stands: each service's state, what each has still to read, and every
    event published for it so far."""

    outcome: orders.OrderOutcome | None = None
    payment: payments.Payment | None = None
    shipment: shipping.Shipment | None = None
    stock: frozenset[tuple[str, StockLevel]] = frozenset()
    ledger: frozenset[tuple[str, LedgerEntry]] = frozenset()
    queues: frozenset[Queue] = frozenset()
    published: frozenset[int] = frozenset()
    cancel_asked: bool = False


# What a service does with the message it reads: its state after, what it publishes, and what
# it sends on stock-commands.
Reading = tuple[Situation, tuple[Event, ...], tuple[StockCommand, ...]]


def orders_read(now: Situation, event: Message) -> Reading:
    assert isinstance(event, Event)
    decision = orders.decide(now.outcome, event, T0)
    after = replace(now, outcome=decision.state) if decision.state is not None else now
    return after, decision.events, ()


def payments_read(now: Situation, event: Message) -> Reading:
    assert isinstance(event, Event)
    decision = payments.decide(now.payment, event, LIMIT, T0)
    after = replace(now, payment=decision.state) if decision.state is not None else now
    return after, decision.events, ()


def shipping_read(now: Situation, event: Message) -> Reading:
    assert isinstance(event, Event)
    decision = shipping.decide(now.shipment, event, T0)
    after = replace(now, shipment=decision.state) if decision.state is not None else now
    return after, decision.events, ()


def inventory_read(now: Situation, event: Message) -> Reading:
    if isinstance(event, PaymentAuthorized):
        return now, (), (inventory.start_reservation(event),)
    assert isinstance(event, OrderCancelling)
    return now, (), (inventory.start_withdrawal(event),)


def stock_read(now: Situation, command: Message) -> Reading:
    assert isinstance(command, StockCommand)
    key = inventory.ledger_key(command)
    level, entry = dict(now.stock).get(command.sku), dict(now.ledger).get(key)
    decision = inventory.apply(level, entry, command, T0)
    after = now
    if decision.level is not None:
        after = replace(after, stock=changed(after.stock, command.sku, decision.level))
    if decision.entry is not None:
        after = replace(after, ledger=changed(after.ledger, key, decision.entry))
    return after, decision.events, decision.commands


READERS: dict[str, Callable[[Situation, Message], Reading]] = {
    "orders": orders_read,
    "payments": payments_read,
    "shipping": shipping_read,
    "inventory": inventory_read,
    "stock": stock_read,
}


def changed(items: frozenset[tuple[str, V]], key: str, value: V) -> frozenset[tuple[str, V]]:
    return frozenset({(k, v) for k, v in items if k != key} | {(key, value)})


@dataclass(frozen=True, slots=True)
class Runs:
    """What the runs published: each event with the event that caused it, the events published
    without a cause, those whose cause was not published before them, and, for each run that
    came to rest (nothing left to read, no step past its deadline), every event it published."""

    caused: frozenset[tuple[Event, Event]]
    roots: frozenset[Event]
    orphans: frozenset[Event]
    settled: tuple[frozenset[Event], ...]


class Choreography:
    """The runs of one order, explored from its placing."""

    def __init__(self, an_order: Order, stock: dict[str, int]) -> None:
        self.messages: list[Message] = []
        self.numbers: dict[Message, int] = {}
        self.caused: set[tuple[int, int]] = set()
        self.roots: set[int] = set()
        self.orphans: set[int] = set()
        self.settled: set[frozenset[int]] = set()
        self.tracked: dict[frozenset[int], workflow.WorkflowState] = {}
        self.placed = OrderPlaced(
            event_id=uuid4(),
            correlation_id=str(uuid4()),
            causation_id=None,
            occurred_at=T0,
            producer=orders.PRODUCER,
            order=an_order,
        )
        levels = frozenset((sku, StockLevel(available=n)) for sku, n in stock.items())
        self.start = self.publish(Situation(stock=levels), (self.placed,))

    def number(self, message: Message) -> int:
        if message not in self.numbers:
            self.numbers[message] = len(self.messages)
            self.messages.append(message)
        return self.numbers[message]

    def event(self, number: int) -> Event:
        event = self.messages[number]
        assert isinstance(event, Event)
        return event

    def explore(self) -> Runs:
        pending = [self.start]
        seen = set(pending)
        while pending:
            for after in self.moves(pending.pop()):
                if after not in seen:
                    seen.add(after)
                    pending.append(after)
        return Runs(
            caused=frozenset((self.event(c), self.event(e)) for c, e in self.caused),
            roots=frozenset(map(self.event, self.roots)),
            orphans=frozenset(map(self.event, self.orphans)),
            settled=tuple(frozenset(map(self.event, run)) for run in self.settled),
        )

    def moves(self, now: Situation) -> Iterator[Situation]:
        for queue in now.queues:
            yield self.read_next(now, queue)
        report = self.overdue(now)
        if report is not None:
            yield self.publish(now, (report,))
        if not now.cancel_asked:
            yield self.publish(replace(now, cancel_asked=True), (self.cancel_request(),))
        if not now.queues and report is None:
            self.settled.add(now.published)

    def read_next(self, now: Situation, queue: Queue) -> Situation:
        (reader, source), (first, *rest) = queue
        queues = dict(now.queues)
        if rest:
            queues[(reader, source)] = tuple(rest)
        else:
            del queues[(reader, source)]
        before = replace(now, queues=frozenset(queues.items()))
        after, events, commands = READERS[reader](before, self.messages[first])
        return self.send(self.publish(after, events), commands)

    def publish(self, now: Situation, events: tuple[Event, ...]) -> Situation:
        if not events:
            return now
        queues, published = dict(now.queues), set(now.published)
        for event in events:
            if any(self.event(seen).event_id == event.event_id for seen in published):
                continue  # the same report again: every reader dedupes it by its id
            number = self.number(event)
            self.record_cause(published, number)
            published.add(number)
            topic = TOPIC_OF[event.event_type]
            for reader, inputs in READS.items():
                if topic in inputs and event.event_type in ACTS_ON[reader]:
                    queues[(reader, topic)] = (*queues.get((reader, topic), ()), number)
        return replace(now, queues=frozenset(queues.items()), published=frozenset(published))

    def record_cause(self, published: set[int], number: int) -> None:
        cause_id = self.event(number).causation_id
        if cause_id is None:
            self.roots.add(number)
            return
        cause = next((seen for seen in published if self.event(seen).event_id == cause_id), None)
        if cause is None:
            self.orphans.add(number)
        else:
            self.caused.add((cause, number))

    def send(self, now: Situation, commands: tuple[StockCommand, ...]) -> Situation:
        if not commands:
            return now
        queues = dict(now.queues)
        for command in commands:
            key = ("stock", command.sku)
            queues[key] = (*queues.get(key, ()), self.number(command))
        return replace(now, queues=frozenset(queues.items()))

    def cancel_request(self) -> CancelRequested:
        return CancelRequested(
            event_id=derived_id(self.placed.event_id, "CancelRequested"),
            correlation_id=self.placed.correlation_id,
            causation_id=None,
            occurred_at=T0,
            producer=orders.PRODUCER,
            order=self.placed.order,
            reason="changed my mind",
        )

    def overdue(self, now: Situation) -> Event | None:
        """The tracker's report of the step the order waits for, when it has a deadline."""
        state = self.tracked.get(now.published)
        if state is None:
            for number in now.published:
                state = workflow.apply(state, self.event(number)) or state
            assert state is not None
            self.tracked[now.published] = state
        return deadlines.overdue(state, ZERO, T0)


def explore(an_order: Order, stock: dict[str, int]) -> Runs:
    """Every run of `an_order` with `stock` on hand."""
    return Choreography(an_order, stock).explore()


# Orders that between them take every path: stock for every line, or none, or for the first line
# only (reserved, then released), or a total over the payment limit.
ORDERS: dict[str, tuple[Order, dict[str, int]]] = {
    "in stock": (order(line("PEN"), line("INK")), {"PEN": 1, "INK": 1}),
    "out of stock": (order(line("PEN")), {}),
    "short on its second line": (order(line("PEN"), line("INK")), {"PEN": 1}),
    "over the payment limit": (order(line("PEN", 1, "2000.00")), {"PEN": 1}),
}


@cache
def every_run() -> Runs:
    """Every run of each of the ORDERS (explored once for all the tests that ask)."""
    runs = [explore(an_order, stock) for an_order, stock in ORDERS.values()]
    return Runs(
        caused=frozenset().union(*(run.caused for run in runs)),
        roots=frozenset().union(*(run.roots for run in runs)),
        orphans=frozenset().union(*(run.orphans for run in runs)),
        settled=tuple(settled for run in runs for settled in run.settled),
    )


def every_event() -> list[Event]:
    """Every event any run published, in a stable order."""
    runs = every_run()
    events = {event for pair in runs.caused for event in pair} | runs.roots | runs.orphans
    return sorted(events, key=lambda event: (event.event_type, str(event.event_id), repr(event)))
