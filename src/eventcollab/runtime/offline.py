"""A processor's handler run outside a worker, one record at a time: what replays fold.

Its unit of work has no retention horizon: nothing is passed over, every record is decided on
the state folded so far, as the worker first decided it (see eventcollab.retention).
"""

from aiokafka import ConsumerRecord, TopicPartition

from eventcollab.runtime.processor import UNIT_BYTES, Handler
from eventcollab.runtime.work import States, Work


def decided(handler: Handler, store: States, record: ConsumerRecord[bytes, bytes]) -> Work:
    """The record through the handler, in a unit of work of its own on `store`; nothing is sent
    or stored. A handler that raises leaves no trace in the unit (as in a worker, before it
    retries or dead-letters), and its exception goes on to the caller."""
    work = Work(store, UNIT_BYTES)
    work.take(TopicPartition(record.topic, record.partition))
    work.savepoint()
    try:
        handler(work, record)
    except Exception:
        work.rollback()
        raise
    return work
