"""Broker security from the settings: checked at start, the password never shown, and every
client built with the same keyword arguments."""

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from eventcollab.runtime.kafka import client_options, connection, faust_credentials
from eventcollab.settings import Settings, from_environment

PASSWORD = "s3cret-" + "x" * 12
# A CA file only has to exist for the settings; the SSL context reads it, so: a real PEM.
CA = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")


def stop_message(monkeypatch: pytest.MonkeyPatch, **variables: str) -> list[str]:
    for name, value in variables.items():
        monkeypatch.setenv(f"EVENTCOLLAB_{name}", value)
    with pytest.raises(SystemExit) as stopped:
        from_environment()
    return str(stopped.value.code).splitlines()[1:]


def test_sasl_without_its_credentials_stops_naming_what_is_missing_never_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = stop_message(
        monkeypatch,
        SECURITY_PROTOCOL="SASL_SSL",
        SASL_MECHANISM="SCRAM-SHA-256",
        SASL_PASSWORD=PASSWORD,
    )
    assert lines == ["  EVENTCOLLAB_SECURITY_PROTOCOL=SASL_SSL needs EVENTCOLLAB_SASL_USERNAME"]


def test_unknown_protocol_mechanism_and_missing_ca_file_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = stop_message(
        monkeypatch,
        SECURITY_PROTOCOL="TLS",
        SASL_MECHANISM="SCRAM-SHA-1",
        SSL_CAFILE=str(tmp_path / "missing.pem"),
    )
    assert [line.split("=")[0] for line in lines] == [
        "  EVENTCOLLAB_SECURITY_PROTOCOL",
        "  EVENTCOLLAB_SASL_MECHANISM",
        "  EVENTCOLLAB_SSL_CAFILE",
    ]
    assert "must name a readable PEM file" in lines[2]


def test_a_wrong_password_setting_is_shown_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTCOLLAB_SASL_PASSWORD", PASSWORD)
    lines = stop_message(monkeypatch, PARTITIONS="none")
    assert all(PASSWORD not in line for line in lines)
    assert PASSWORD not in repr(read_without_the_wrong_one(monkeypatch))


def read_without_the_wrong_one(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("EVENTCOLLAB_PARTITIONS")
    return from_environment()


def test_plaintext_clients_get_only_the_servers() -> None:
    options = client_options(Settings(broker="kafka://a:9092;b:9092"))
    assert dict(options) == {"bootstrap_servers": "a:9092,b:9092", "security_protocol": "PLAINTEXT"}
    assert faust_credentials(Settings()) is None


def test_sasl_ssl_clients_get_the_mechanism_the_user_and_a_context_trusting_the_ca() -> None:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="alice",
        sasl_password=SecretStr(PASSWORD),
        ssl_cafile=CA,
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "alice"
    assert options["sasl_plain_password"] == PASSWORD
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert options.trust == f"EVENTCOLLAB_SSL_CAFILE={CA}" and options.user == "alice"
    credentials = faust_credentials(settings)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"


def test_a_bootstrap_string_is_plaintext_options_and_options_pass_through() -> None:
    assert dict(connection("h:1")) == {"bootstrap_servers": "h:1"}
    options = client_options(Settings(security_protocol="SSL"))
    assert connection(options) is options
    assert options.trust == "the system's CA certificates"
