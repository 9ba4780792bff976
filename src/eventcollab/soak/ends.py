"""How each workflow ended, read from `orders` as it happens: its outcome and its time.

A workflow's time is from its OrderPlaced record to its outcome's record, by the records' own
timestamps (both written on this machine, by the producer that sent each): it needs no state of
the tracker, whose finished workflows leave their table after the retention period.
"""

from dataclasses import dataclass, field

from eventcollab.bench.watch import TopicReader
from eventcollab.codec import decode_event, event_type_of

OUTCOMES = {
    "OrderCompleted": "completed",
    "OrderRejected": "rejected",
    "OrderCancelled": "cancelled",
}


@dataclass
class Ends:
    placed_at: dict[str, int] = field(default_factory=dict)  # ms, of workflows not ended yet
    placed: set[str] = field(default_factory=set)  # every workflow placed on the log
    outcome: dict[str, str] = field(default_factory=dict)  # the first outcome of each
    finishes: list[tuple[int, int]] = field(default_factory=list)  # (ended at, took) in ms
    repeated: int = 0  # an outcome seen again, the same: a record sent again, harmless
    # Two different outcomes, a fault: every outcome each such workflow had, in order.
    conflicting: dict[str, list[str]] = field(default_factory=dict)
    undecodable: int = 0  # records on `orders` that are no event (none is expected)

    def see(self, event_type: str, correlation_id: str, at_ms: int) -> None:
        if event_type == "OrderPlaced":
            self.placed.add(correlation_id)
            if correlation_id not in self.outcome:
                self.placed_at.setdefault(correlation_id, at_ms)
            return
        outcome = OUTCOMES.get(event_type)
        if outcome is None:
            return
        first = self.outcome.get(correlation_id)
        if first is not None:
            if first == outcome:
                self.repeated += 1
            else:
                self.conflicting.setdefault(correlation_id, [first]).append(outcome)
            return
        self.outcome[correlation_id] = outcome
        began = self.placed_at.pop(correlation_id, None)
        if began is not None:
            self.finishes.append((at_ms, at_ms - began))

    def unfinished(self, placed: set[str]) -> set[str]:
        return (placed | self.placed) - set(self.outcome)


def event_type(value: bytes) -> str | None:
    """The type from the first bytes when the codec wrote the record, else from a decode."""
    try:
        return event_type_of(value) or decode_event(value).event_type
    except ValueError:
        return None


class EndsReader(TopicReader):
    """The outcomes on every partition of `orders`, from its beginning."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        super().__init__(bootstrap, topic, partitions)
        self.ends = Ends()

    async def read(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    kind = event_type(record.value) if record.value else None
                    if kind is None or record.key is None:
                        self.ends.undecodable += 1
                        continue
                    self.ends.see(kind, record.key.decode(), record.timestamp)
