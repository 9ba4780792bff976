"""EVENTCOLLAB_STRAY_CUSTOMERS, the test setting that makes shipping publish what it does not
declare."""

from builders import authorized, order, order_placed, reserved
from test_fail_on import record_of

from eventcollab.agents.stray import applied
from eventcollab.codec import decode_event
from eventcollab.domain import shipping
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.runtime.work import Work


def handled(
    spec: ProcessorSpec, customer: str, kind: str = "reserved"
) -> list[tuple[str, str, bytes]]:
    placed = order_placed(order(customer_id=customer))
    event = reserved(authorized(placed)) if kind == "reserved" else placed
    work = Work(None, 1)
    spec.handler(work, record_of(event))
    return work.outputs


def test_shipping_also_publishes_an_undeclared_cancel_for_the_chosen_customers_only() -> None:
    def handler(work: Work, record: object) -> None:
        work.outputs.append(("decided", "", b""))

    specs = [ProcessorSpec("shipping", (), handler), ProcessorSpec("tracker", (), handler)]
    ship, track = applied(specs, "stray-, odd-", out="shipments")

    [decided, (topic, key, value)] = handled(ship, "stray-bob")
    stray = decode_event(value)
    assert decided[0] == "decided" and topic == "shipments"
    assert stray.event_type == "ShipmentCancelled" and stray.producer == shipping.PRODUCER
    assert stray.event_type not in shipping.REACTIONS["StockReserved"]  # truly undeclared
    assert stray.correlation_id == key
    assert len(handled(ship, "odd-one")) == 2
    assert len(handled(ship, "ann")) == 1
    assert len(handled(ship, "stray-bob", kind="placed")) == 1
    assert len(handled(track, "stray-bob")) == 1


def test_no_setting_leaves_the_processors_as_they_are() -> None:
    specs = [ProcessorSpec("shipping", (), lambda work, record: None)]
    assert applied(specs, "", out="shipments") == specs
