"""A record whose handler raised: tried again when the fault may pass, else a dead letter.

A refusal (`eventcollab.records.Refused`: the record does not decode, validate, or is keyed
wrong) is for good and dead-lettered at once. Any other exception may pass: the handler is tried
again after each backoff of the retry policy, from the same savepoint, and the record is
dead-lettered once the attempts are spent. Either way the partition goes on with its next
record. Faults of the broker never get here: they happen when a unit of work is sent, and the
unit is then done again whole (see `Processor.run`), never dead-lettered.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeAlias

from aiokafka import ConsumerRecord
from aiokafka.partitioner import murmur2

from eventcollab.clock import now
from eventcollab.codec import encode
from eventcollab.dead_letter import dead_letter
from eventcollab.records import Refused
from eventcollab.runtime.retries import RetryPolicy
from eventcollab.runtime.work import Work

log = logging.getLogger(__name__)
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Counts:
    """A processor's records since it started, counted when their unit of work is stored: a
    unit done again after a failure counts once. consumed = processed + dead_lettered."""

    since: datetime = field(default_factory=now)
    processed: int = 0  # handled, or passed over by type
    dead_lettered: int = 0
    retried: int = 0  # attempts after the first, of records processed or dead-lettered
    produced: int = 0  # records sent: outputs and dead letters
    units: int = 0  # units of work stored that took records or left something (not idle ticks)
    # Retention (eventcollab.retention): records past the horizon that found no state, passed
    # over (counted in `processed` too), and entries removed past the horizon.
    passed_over: int = 0
    removed: int = 0

    @property
    def consumed(self) -> int:
        return self.processed + self.dead_lettered

    def plus(self, work: Work) -> "Counts":
        return replace(
            self,
            processed=self.processed + work.processed,
            dead_lettered=self.dead_lettered + work.dead_lettered,
            retried=self.retried + work.retried,
            produced=self.produced + len(work.outputs) + len(work.letters),
            units=self.units
            + (1 if work.done or work.outputs or work.letters or work.changes else 0),
            passed_over=self.passed_over + work.passed_over,
            removed=self.removed + work.removed,
        )


class Failures:
    """What a processor does with a record its handler raised on."""

    def __init__(self, service: str, policy: RetryPolicy, partitions: int) -> None:
        self.service = service
        self.policy = policy
        self.partitions = partitions

    async def recover(
        self, handler: Callable[[Work, Record], None], work: Work, record: Record, error: Exception
    ) -> None:
        """`error` came from the handler's first attempt, whose traces are taken back already."""
        if not isinstance(error, Refused):
            log.warning(
                "%s: handler failed on %s (attempt 1 of %d)",
                self.service,
                where(record),
                self.policy.attempts,
                exc_info=error,
            )
        attempts = 1
        for delay in () if isinstance(error, Refused) else self.policy.delays():
            await asyncio.sleep(delay)
            attempts += 1
            work.retried += 1
            work.savepoint()
            try:
                handler(work, record)
            except Exception as again:
                work.rollback()
                error = again
                if isinstance(again, Refused):
                    break
            else:
                work.processed += 1
                log.info("%s: %s processed at attempt %d", self.service, where(record), attempts)
                return
        letter = dead_letter(self.service, record, error, attempts, now())
        log.error(
            "%s: %s dead-lettered after %d attempt(s): %s: %s",
            self.service,
            where(record),
            attempts,
            letter.error_type,
            letter.error,
        )
        partition = letter_partition(record, self.partitions)
        work.dead_letter(partition, letter.key, encode(letter))


def letter_partition(record: Record, partitions: int) -> int:
    """The partition of the original key, as the producer's default partitioner places it; the
    source partition for a record without a key."""
    if record.key is None:
        source: int = record.partition
        return source % partitions
    hashed: int = murmur2(record.key)
    return (hashed & 0x7FFFFFFF) % partitions


def where(record: Record) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
