"""For tests: the shipping handler made to publish an event it does not declare
(EVENTCOLLAB_STRAY_CUSTOMERS).

For orders of customers whose id starts with one of the setting's prefixes, shipping publishes,
besides whatever it decides, a ShipmentCancelled caused by the order's StockReserved: shipping
declares ShipmentCancelled only in answer to OrderCancelling, so the flow map must show the edge
`inventory/StockReserved -> shipping/ShipmentCancelled` as unexpected, with those workflows as its
samples. The order itself goes on (the tracker treats ShipmentCancelled as a step, not an
outcome).
"""

from dataclasses import replace

from aiokafka import ConsumerRecord

from eventcollab.clock import now
from eventcollab.codec import event_type_of
from eventcollab.domain import follow_up, shipping
from eventcollab.models import ShipmentCancelled, derived_id
from eventcollab.records import event_of
from eventcollab.runtime.processor import Handler, ProcessorSpec
from eventcollab.runtime.work import Work

CAUSE = "StockReserved"


def prefixes(setting: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip() for part in setting.split(","))))


def straying(handler: Handler, customers: tuple[str, ...], out: str) -> Handler:
    def handle(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        handler(work, record)
        if event_type_of(record.value or b"") != CAUSE:
            return
        event = event_of(record.key, record.value)
        if event.order.customer_id.startswith(customers):
            stray = follow_up(
                event,
                ShipmentCancelled,
                shipping.PRODUCER,
                now(),
                shipment_id=derived_id(event.event_id, "stray shipment"),
            )
            work.emit(out, stray.correlation_id, stray)

    return handle


def applied(specs: list[ProcessorSpec], setting: str, out: str) -> list[ProcessorSpec]:
    """The processors, shipping's handler straying as the setting asks (none when it is empty)."""
    customers = prefixes(setting)
    if not customers:
        return specs
    return [
        replace(spec, handler=straying(spec.handler, customers, out))
        if spec.name == "shipping"
        else spec
        for spec in specs
    ]
