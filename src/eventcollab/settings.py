"""Every setting, read from EVENTCOLLAB_* environment variables in one place."""

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
Service = Literal["all", "orders", "payments", "inventory", "shipping", "tracker"]
SERVICES: tuple[Service, ...] = ("orders", "payments", "inventory", "shipping", "tracker")
LogFormat = Literal["text", "json"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTCOLLAB_", frozen=True)

    # One broker, or several of a cluster comma-separated: a client needs any one of them up.
    broker: str = "kafka://127.0.0.1:9092"
    app_id: str = "eventcollab"
    # Which component this worker runs; "all" runs every service and the tracker in one worker.
    service: Service = "all"
    # Prepended to every topic name, so that environments (and test runs) can share a broker.
    topic_prefix: str = ""
    partitions: int = Field(default=8, ge=1)
    # Copies of each topic and changelog partition, and how many must have a write before the
    # broker acknowledges it (producers ask acks=all): 3 and 2 on a production cluster, 1 and 1
    # on the single local broker. Applied when a topic is created.
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int = Field(default=1, ge=1)
    # How long the workflow topics keep their events (-1: for ever). Replay, the audit, the flow
    # map of the log and re-driving read them; the changelogs are compacted and kept.
    topic_retention_hours: float = Field(default=168.0)
    # How long a finished workflow, and what each service keeps of it, stays in the tables after
    # its last event (-1: for ever); see eventcollab.retention. An event older than this whose
    # state is gone is passed over, so it must exceed the longest a workflow can run plus the
    # longest a worker may stay down or behind. Checked every `state_retention_check_seconds`.
    state_retention_hours: float = Field(default=168.0)
    state_retention_check_seconds: float = Field(default=60.0, gt=0)
    payment_limit: Decimal = Decimal("5000.00")
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # Where people and the `status` command reach the tracker's web view. Unset, status URLs
    # point at the server that took the order, and `status` asks this host's web port.
    tracker_url: str | None = None
    # How long a query forwarded to the worker that owns its workflow may take, beyond the time
    # it asked to wait (`?wait=...&timeout=...`), before it is answered 504.
    forward_seconds: float = Field(default=5.0, gt=0)
    # Where the `demo` command places orders (the orders service's web server).
    orders_url: str | None = None
    data_dir: Path = Path("data")
    # Seconds each step may take before the order is cancelled and compensated: payments to
    # authorize, inventory to reserve, shipping to schedule (from the event that asked for it).
    deadline_authorize_seconds: float = Field(default=120.0, gt=0)
    deadline_reserve_seconds: float = Field(default=120.0, gt=0)
    deadline_schedule_seconds: float = Field(default=900.0, gt=0)
    # How often the tracker looks for overdue steps on its partitions.
    deadline_check_seconds: float = Field(default=1.0, gt=0)
    # The flow map shows a workflow as stuck after its awaited step has taken this share of
    # the step's deadline: a warning before the deadline cancels the order.
    flow_stuck_ratio: float = Field(default=0.5, gt=0, le=1)
    # A killed worker's partitions move to the survivors only after this many seconds.
    session_timeout: float = Field(default=10.0, gt=0)
    # A handler that raises may meet a passing fault: it is tried this many times in all on
    # the same record, waiting the backoff before the second attempt, `factor` times longer
    # before each next one, at most the max; then the record goes to the dead-letter topic.
    # The partition waits meanwhile (0.3 s with these defaults), so keep them short.
    retry_attempts: int = Field(default=3, ge=1, le=20)
    retry_backoff_seconds: float = Field(default=0.1, ge=0)
    retry_backoff_factor: float = Field(default=2.0, ge=1)
    retry_backoff_max_seconds: float = Field(default=2.0, ge=0)
    # For tests only: handlers made to raise on chosen events, to prove retries and dead
    # letters end to end. "processor:EventType:customer id prefix", several comma-separated
    # (see eventcollab.agents.fail_on). Empty in production.
    fail_on: str = ""
    # Bearer tokens (see eventcollab.auth): unset, the HTTP interface is open. At least 16
    # characters each; kept secret (masked in any repr) and never logged.
    write_token: SecretStr | None = None
    read_token: SecretStr | None = None
    # How every client reaches the broker (see eventcollab.runtime.kafka.client_options): a
    # managed Kafka usually asks SASL_SSL with SCRAM or PLAIN. The SASL protocols need the
    # mechanism, user name and password; the SSL ones verify the broker's certificate against
    # the PEM CA bundle `ssl_cafile` (unset: the system's CAs), and send a client certificate
    # when `ssl_certfile` (with `ssl_keyfile`) is set, for brokers that ask one (mutual TLS).
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # For tests only: customer id prefixes, comma-separated, whose orders make the shipping
    # handler publish an event it does not declare (see eventcollab.agents.stray). Empty in
    # production.
    stray_customers: str = ""
    # `text`: the worker's log lines as Faust writes them; `json`: one JSON object a line, for
    # log shippers (see eventcollab.logs).
    log_format: LogFormat = "text"
    # /healthz answers 503 once the worker's event loop has not beaten for this long.
    health_stale_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def replicas_fit(self) -> "Settings":
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                "EVENTCOLLAB_MIN_INSYNC_REPLICAS must not be above EVENTCOLLAB_REPLICATION_FACTOR"
            )
        if self.topic_retention_hours != -1 and self.topic_retention_hours <= 0:
            raise ValueError("EVENTCOLLAB_TOPIC_RETENTION_HOURS must be above 0, or -1 (for ever)")
        return self

    @model_validator(mode="after")
    def retention_outlives_workflows(self) -> "Settings":
        if self.state_retention_hours == -1:
            return self
        # A workflow still running must never lose its state: it runs at most its deadlines
        # before it is cancelled, and its compensation takes about as long again.
        longest = 2 * (
            self.deadline_authorize_seconds
            + self.deadline_reserve_seconds
            + self.deadline_schedule_seconds
        )
        if self.state_retention_hours * 3600 <= longest:
            raise ValueError(
                "EVENTCOLLAB_STATE_RETENTION_HOURS must be -1 (for ever) or longer than twice "
                f"the step deadlines together ({longest:g} s)"
            )
        return self

    @model_validator(mode="after")
    def security_complete(self) -> "Settings":
        if self.security_protocol.startswith("SASL_"):
            missing = [
                f"EVENTCOLLAB_{name.upper()}"
                for name in ("sasl_mechanism", "sasl_username", "sasl_password")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(
                    f"EVENTCOLLAB_SECURITY_PROTOCOL={self.security_protocol} needs "
                    + ", ".join(missing)
                )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("EVENTCOLLAB_SSL_CERTFILE and EVENTCOLLAB_SSL_KEYFILE go together")
        return self

    @field_validator("sasl_mechanism", "sasl_username", "sasl_password", mode="before")
    @classmethod
    def blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("ssl_cafile", "ssl_certfile", "ssl_keyfile", mode="before")
    @classmethod
    def readable_file(cls, value: object) -> object:
        # Checked at start: a missing CA bundle would otherwise surface as a TLS error later.
        if value in ("", None):
            return None
        if not Path(str(value)).is_file():
            raise ValueError("must name a readable PEM file")
        return value

    @field_validator("write_token", "read_token", mode="before")
    @classmethod
    def token_or_none(cls, value: object) -> object:
        if value in ("", None):
            return None
        if len(str(value.get_secret_value() if isinstance(value, SecretStr) else value)) < 16:
            raise ValueError("a token must be at least 16 characters (openssl rand -hex 32)")
        return value

    @property
    def services(self) -> tuple[Service, ...]:
        return SERVICES if self.service == "all" else (self.service,)

    @property
    def worker_id(self) -> str:
        """Faust's own app id; the processors' consumer groups are `<app id>-<processor>`."""
        return f"{self.app_id}-worker-{self.service}"

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def topic_name(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group_of(self, processor: str) -> str:
        """The consumer group of a processor, the same whichever worker runs it."""
        return f"{self.app_id}-{processor}"

    def changelog_of(self, processor: str) -> str:
        return self.topic_name(f"{self.group_of(processor)}-changelog")


SECRETS = frozenset({"write_token", "read_token", "sasl_password"})  # never shown, even when wrong


def from_environment() -> Settings:
    """The settings, or a stop that names each wrong setting and what it should be: a worker
    with a bad value must not start at all (a traceback about a model would not say which
    variable to fix)."""
    try:
        return Settings()
    except ValidationError as wrong:
        raise SystemExit(explained(wrong)) from None


def explained(wrong: ValidationError) -> str:
    lines = ["eventcollab: not started, these settings are wrong:"]
    for error in wrong.errors():
        if not error["loc"]:
            # A check across settings: its input is every setting, secrets included; the
            # message names the variables.
            lines.append(f"  {error['msg'].removeprefix('Value error, ')}")
            continue
        field = "_".join(str(part) for part in error["loc"])
        given = "(hidden)" if field in SECRETS else repr(error.get("input"))
        lines.append(f"  EVENTCOLLAB_{field.upper()}={given}: {error['msg']}")
    return "\n".join(lines)
