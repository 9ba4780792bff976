"""EVENTCOLLAB_FAIL_ON, the test setting that makes a handler raise on chosen events."""

from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from builders import order, order_placed

from eventcollab.agents.fail_on import FailOn, InjectedFailure, applied, rules
from eventcollab.codec import encode
from eventcollab.models import Event
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.runtime.work import Work


def test_the_setting_names_processor_event_type_and_customer_prefix() -> None:
    assert rules("payments:OrderPlaced:doomed-, shipping:StockReserved:x") == (
        FailOn("payments", "OrderPlaced", "doomed-"),
        FailOn("shipping", "StockReserved", "x"),
    )
    assert rules("") == ()


@pytest.mark.parametrize(
    "wrong", ["payments", "payments:OrderPlaced", "payments:Nonsense:x", ":OrderPlaced:x"]
)
def test_a_rule_that_names_no_event_or_no_prefix_is_refused(wrong: str) -> None:
    with pytest.raises(ValueError, match="EVENTCOLLAB_FAIL_ON"):
        rules(wrong)


def record_of(event: Event) -> ConsumerRecord[bytes, bytes]:
    key, value = event.correlation_id.encode(), encode(event)
    return ConsumerRecord("orders", 0, 0, 0, 0, key, value, None, len(key), len(value), ())


def test_the_chosen_processor_raises_after_its_handler_ran_and_the_others_do_not() -> None:
    seen: list[int] = []

    def handler(work: Work, record: ConsumerRecord[bytes, bytes]) -> None:
        seen.append(record.offset)

    specs = [ProcessorSpec("payments", ("orders",), handler), ProcessorSpec("tracker", (), handler)]
    payments, tracker = applied(specs, "payments:OrderPlaced:doomed-")
    doomed = order_placed(order(customer_id=f"doomed-{uuid4()}"))
    spared = order_placed()

    with pytest.raises(InjectedFailure, match="made to fail"):
        payments.handler(Work(None, 1), record_of(doomed))
    payments.handler(Work(None, 1), record_of(spared))
    tracker.handler(Work(None, 1), record_of(doomed))

    assert len(seen) == 3  # the handler ran each time, the failure came after it
