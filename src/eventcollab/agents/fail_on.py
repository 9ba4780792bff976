"""For tests: a processor's handler made to raise on chosen events (EVENTCOLLAB_FAIL_ON).

`payments:OrderPlaced:doomed-` makes the payments processor raise on every OrderPlaced whose
customer id starts with `doomed-`, on every attempt. The handler runs first and the exception
comes after it, so whatever it saved or emitted must be taken back by the runtime: the tests
prove retries, that rollback, the dead letter, and that the partition goes on.
"""

from dataclasses import dataclass, replace

from aiokafka import ConsumerRecord

from eventcollab.codec import event_type_of
from eventcollab.models import EVENT_TYPES
from eventcollab.records import event_of
from eventcollab.runtime.processor import Handler, ProcessorSpec
from eventcollab.runtime.work import Work


class InjectedFailure(RuntimeError):
    """Raised on purpose, as a handler with a bug would."""


@dataclass(frozen=True, slots=True)
class FailOn:
    processor: str
    event_type: str
    customer_prefix: str

    def __str__(self) -> str:
        return f"{self.processor}:{self.event_type}:{self.customer_prefix}"


def rules(setting: str) -> tuple[FailOn, ...]:
    """The setting's rules; ValueError for one that is not `processor:EventType:prefix`."""
    found = []
    for text in filter(None, (part.strip() for part in setting.split(","))):
        processor, event_type, prefix = [*text.split(":", 2), "", ""][:3]
        if not processor or event_type not in EVENT_TYPES or not prefix:
            raise ValueError(f"EVENTCOLLAB_FAIL_ON: {text!r} is not processor:EventType:prefix")
        found.append(FailOn(processor, event_type, prefix))
    return tuple(found)


def failing(handler: Handler, rule: FailOn) -> Handler:
    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        handler(work, record)
        if event_type_of(record.value or b"") != rule.event_type:
            return
        event = event_of(record.key, record.value)
        if event.order.customer_id.startswith(rule.customer_prefix):
            raise InjectedFailure(f"{rule}: {event.event_type} {event.event_id} made to fail")

    return handle


def applied(specs: list[ProcessorSpec], setting: str) -> list[ProcessorSpec]:
    """The processors, each with its handler made to fail as the setting asks."""
    chosen = rules(setting)
    for rule in chosen:
        specs = [
            replace(spec, handler=failing(spec.handler, rule))
            if spec.name == rule.processor
            else spec
            for spec in specs
        ]
    return specs
