"""The Kafka clients of a worker, configured from the settings in one place."""

import asyncio
import functools
import logging
import ssl
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaConnectionError,
    SaslAuthenticationFailed,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.partitioner import murmur2

from eventcollab.settings import Settings

log = logging.getLogger(__name__)

# Room for one unit of work's state changes of one partition in a single record batch: a batch
# is appended to the log whole or not at all, which is what keeps a partition's states together.
MAX_BATCH_BYTES = 1_000_000
ALREADY_EXISTS = 36  # Kafka's TOPIC_ALREADY_EXISTS error code
# Long enough to ride out a broker restart; a unit of work that still fails is retried whole.
REQUEST_TIMEOUT_MS = 60_000


def bootstrap(settings: Settings) -> str:
    """aiokafka's `host:port,host:port`. EVENTCOLLAB_BROKER names one broker or several (a
    cluster), separated by commas or semicolons, each with or without `kafka://`: the forms
    Faust takes for its own clients."""
    servers = (server.strip() for server in settings.broker.replace(";", ",").split(","))
    return ",".join(server.removeprefix("kafka://") for server in servers if server)


class ClientOptions(dict[str, Any]):
    """The keyword arguments of an aiokafka client: the servers and how to reach them; with
    whom it signs in and which CAs it trusts, to say so when the broker refuses it."""

    user: str | None = None
    trust: str = "the system's CA certificates"


Brokers = str | Mapping[str, Any]  # a bootstrap string (the local PLAINTEXT broker) or options


def client_options(settings: Settings) -> ClientOptions:
    """What every aiokafka client of eventcollab is built with: one place for the security
    settings, so that no client can reach the broker another way."""
    options = ClientOptions(
        bootstrap_servers=bootstrap(settings), security_protocol=settings.security_protocol
    )
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile, certfile=settings.ssl_certfile, keyfile=settings.ssl_keyfile
        )
        if settings.ssl_cafile is not None:
            options.trust = f"EVENTCOLLAB_SSL_CAFILE={settings.ssl_cafile}"
    if settings.security_protocol.startswith("SASL_"):
        assert settings.sasl_password is not None  # the settings' own check
        options |= {
            "sasl_mechanism": settings.sasl_mechanism,
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.sasl_password.get_secret_value(),
        }
        options.user = settings.sasl_username
    return options


def faust_credentials(settings: Settings) -> Any:
    """The same security for Faust's own clients (its consumer group and producer)."""
    options = client_options(settings)
    context = options.get("ssl_context")
    if settings.security_protocol.startswith("SASL_"):
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            ssl_context=context,
            mechanism=settings.sasl_mechanism,
        )
    return faust.SSLCredentials(context) if context is not None else None


def connection(brokers: Brokers) -> ClientOptions:
    if isinstance(brokers, ClientOptions):
        return brokers
    if isinstance(brokers, str):
        return ClientOptions(bootstrap_servers=brokers)
    return ClientOptions(brokers)


class BrokerRefused(SystemExit):
    """The broker answered but refused this client: retrying will not help, a setting must
    change. A stop, like a wrong setting's: exit code 1 and one line naming the cause, not a
    traceback that an operator would have to read to the end."""

    def __init__(self, cause: str) -> None:
        super().__init__(f"eventcollab: stopped, the broker refused the connection: {cause}")
        self.cause = cause


async def started(client: Any, options: ClientOptions) -> None:
    """Start an aiokafka client; when it cannot connect, say why.

    aiokafka logs the cause of a failed bootstrap and raises a bare "Unable to bootstrap": a
    wrong password and an untrusted certificate would read like an unreachable broker. One more
    connection, made by hand, finds the cause.
    """
    try:
        await client.start()
    except KafkaConnectionError:
        cause = await refusal(options)
        if cause is None:
            raise
        raise BrokerRefused(cause) from None


REFUSAL_PROBE_SECONDS = 10.0


async def refusal(options: ClientOptions) -> str | None:
    """Why the broker refuses these options, or None when it does not (unreachable, say)."""
    security = {
        key: options[key]
        for key in (
            "security_protocol",
            "ssl_context",
            "sasl_mechanism",
            "sasl_plain_username",
            "sasl_plain_password",
        )
        if key in options
    }
    for server in str(options["bootstrap_servers"]).split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            async with asyncio.timeout(REFUSAL_PROBE_SECONDS):
                conn = await create_conn(host, int(port), **security)
        except ssl.SSLCertVerificationError as untrusted:
            return (
                f"TLS: the broker's certificate is not trusted by {options.trust} "
                f"({untrusted.verify_message}) at {server}"
            )
        except ssl.SSLError as failed:
            return f"TLS: the handshake with {server} failed ({failed.reason or failed})"
        except (SaslAuthenticationFailed, AuthenticationFailedError):
            mechanism = options.get("sasl_mechanism")
            return (
                f"authentication failed for user {options.user!r} at {server}: "
                f"wrong password or mechanism ({mechanism})"
            )
        except (OSError, TimeoutError, KafkaConnectionError):
            continue
        conn.close()
    return None


def new_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_options(settings),
        acks="all",
        # Not idempotent: after a broker restart aiokafka's idempotent producer can meet an
        # OutOfOrderSequenceNumber, which it treats as fatal, and never sends again (seen in the
        # crash suite). Order per partition holds without it: aiokafka has one request in flight
        # per broker. A retry may append a record twice; every consumer ignores the copy.
        enable_idempotence=False,
        max_batch_size=MAX_BATCH_BYTES,
        linger_ms=1,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )


def new_consumer(
    settings: Settings,
    group: str | None,
    assignor: type[RangePartitionAssignor] = RangePartitionAssignor,
    **options: Any,
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(settings),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(settings.session_timeout * 1000),
        heartbeat_interval_ms=int(min(3.0, settings.session_timeout / 3) * 1000),
        # Range gives each member the same partition numbers of every input topic (they all
        # have one partition count), so a key's events and its state stay with one member.
        # aiokafka's default, round robin, would split them.
        partition_assignment_strategy=(assignor,),
        **options,
    )


# Cached: murmur2 is pure Python, and a worker places each correlation id once per service.
@functools.lru_cache(maxsize=65_536)
def partition_for(key: str, partitions: int) -> int:
    """The partition of `key`, as the producer's default partitioner places it (Java's too)."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


async def declare_topics(settings: Settings, names: list[str], compacted: list[str]) -> None:
    """Create the topics that are missing, each with the one partition count of the workflow."""
    options = client_options(settings)
    admin = AIOKafkaAdminClient(**options)
    # The first connection of a worker and of most commands: a refusal stops them here.
    await started(admin, options)
    try:
        new = [
            NewTopic(
                name,
                settings.partitions,
                settings.replication_factor,
                None,
                topic_config(settings, compacted=name in compacted),
            )
            for name in [*names, *compacted]
        ]
        response = await admin.create_topics(new)
        failed = [(t[0], t[1]) for t in response.topic_errors if t[1] not in (0, ALREADY_EXISTS)]
        if failed:
            raise RuntimeError(f"could not create topics: {failed}")
        await check_partitions(admin, settings, [*names, *compacted])
    finally:
        await admin.close()


def topic_config(settings: Settings, compacted: bool) -> dict[str, str]:
    """What a new topic is created with, every value explicit rather than the broker's default:
    changelogs are compacted (the last state of each key is kept for ever), workflow topics
    keep their events for the retention the settings give."""
    config = {"min.insync.replicas": str(settings.min_insync_replicas)}
    if compacted:
        return config | {"cleanup.policy": "compact", "retention.ms": "-1"}
    hours = settings.topic_retention_hours
    retention = -1 if hours == -1 else round(hours * 3_600_000)
    return config | {"cleanup.policy": "delete", "retention.ms": str(retention)}


async def check_partitions(
    admin: AIOKafkaAdminClient, settings: Settings, names: list[str]
) -> None:
    # A topic that the broker auto-created with another partition count would put a workflow's
    # events and its state on different partitions: refuse to start rather than mix them.
    # Just created, a topic can be unknown, or known with no partition yet, while the broker
    # spreads its metadata: up to 14 s for the first topics of a broker that has just started
    # (measured on this machine). Wait for its partitions before counting them.
    for _ in range(TOPIC_WAIT_TURNS):
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        if all(known(described.get(n)) for n in names):
            break
        await asyncio.sleep(0.2)
    wrong = {
        name: len(described[name]["partitions"])
        for name in names
        if len(described.get(name, {}).get("partitions", ())) != settings.partitions
    }
    if wrong:
        raise RuntimeError(f"topics whose partition count is not {settings.partitions}: {wrong}")


TOPIC_WAIT_TURNS = 150  # of 0.2 s: 30 s


def known(described: dict[str, Any] | None) -> bool:
    return bool(described and described.get("error_code") == 0 and described.get("partitions"))


async def read_from_start(
    brokers: Brokers, partitions: list[TopicPartition], timeout: float = 120.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `partitions`, from the beginning to the end offsets taken first.

    No group and no commits: the reader leaves no trace. "earliest" also for the offset reset
    that assign() starts, which with the default "latest" can land after seek_to_beginning() and
    leave the consumer at the end; a record fetched twice by that race is kept once.
    """
    if not partitions:
        return []
    options = connection(brokers)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, auto_offset_reset="earliest")
    await started(consumer, options)
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: dict[tuple[str, int, int], ConsumerRecord[bytes, bytes]] = {}
        async with asyncio.timeout(timeout):
            while pending := [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
                for tp, batch in (await consumer.getmany(*pending, timeout_ms=500)).items():
                    records.update(
                        ((r.topic, r.partition, r.offset), r) for r in batch if r.offset < end[tp]
                    )
        return sorted(records.values(), key=lambda r: (r.topic, r.partition, r.offset))
    finally:
        await consumer.stop()
