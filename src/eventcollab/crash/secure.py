"""A SASL_SSL listener for a private broker: a CA made for the run, the broker's keystore signed
by it, and SCRAM users; what the secure-connection tests connect through."""

import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# Certificates for a test run: valid two days, RSA 2048 (fast to make, accepted everywhere).
DAYS = "2"


def openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed CA in `folder`; returns its certificate (PEM), the file clients trust."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS, "-subj", f"/CN={name}",
        "-keyout", "ca.key", "-out", "ca.pem", cwd=folder,
    )  # fmt: skip
    return folder / "ca.pem"


def make_keystore(ca: Path, password: str) -> Path:
    """The broker's key and certificate for 127.0.0.1 and localhost, signed by `ca`, in a
    PKCS12 keystore beside it: clients verify the host name, so the address must be named."""
    folder = ca.parent
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "broker.key", "-out", "broker.csr", cwd=folder,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", "broker.csr", "-CA", ca.name, "-CAkey", "ca.key",
        "-CAcreateserial", "-days", DAYS, "-extfile", "san.ext", "-out", "broker.pem",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-certfile", ca.name,
        "-name", "broker", "-passout", f"pass:{password}", "-out", "broker.p12", cwd=folder,
    )  # fmt: skip
    return folder / "broker.p12"


@dataclass
class SecureListener:
    """What scripts/broker needs to open the SASL_SSL listener, and what clients trust."""

    folder: Path
    port: int
    users: dict[str, str]
    keystore_password: str = field(default_factory=lambda: secrets.token_hex(12))

    def __post_init__(self) -> None:
        self.ca = make_ca(self.folder / "ca", "eventcollab test CA")
        self.keystore = make_keystore(self.ca, self.keystore_password)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "EVENTCOLLAB_BROKER_SASL_SSL_PORT": str(self.port),
            "EVENTCOLLAB_BROKER_KEYSTORE": str(self.keystore),
            "EVENTCOLLAB_BROKER_KEYSTORE_PASSWORD": self.keystore_password,
            "EVENTCOLLAB_BROKER_SCRAM_USERS": ",".join(f"{u}={p}" for u, p in self.users.items()),
        }
