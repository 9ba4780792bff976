"""A private single-node broker for one suite run, through scripts/broker on a temporary home."""

import asyncio
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from eventcollab.crash.processes import caller_env, free_port
from eventcollab.crash.secure import SecureListener

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "broker"
SHARED_JARS = ROOT / ".broker" / "jars"


class BrokerError(RuntimeError):
    pass


def run_script(command: str, env: dict[str, str], timeout: float = 180.0) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BrokerError(f"scripts/broker {command} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def ensure_jars() -> None:
    """Resolve the jars once, on the default home, without starting anything there."""
    if not (SHARED_JARS / ".complete").exists():
        run_script("jars", caller_env(), timeout=900)


@dataclass
class PrivateBroker:
    """Its own data, ports and log under `home`; the jars are the repository's, shared."""

    home: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    # A SASL_SSL listener besides the PLAINTEXT one, for the secure-connection tests.
    secure: SecureListener | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def log(self) -> Path:
        return self.home / "broker.log"

    def env(self) -> dict[str, str]:
        return {
            **caller_env(),
            "EVENTCOLLAB_BROKER_HOME": str(self.home),
            "EVENTCOLLAB_BROKER_PORT": str(self.port),
            "EVENTCOLLAB_CONTROLLER_PORT": str(self.controller_port),
            "EVENTCOLLAB_BROKER_JARS": str(SHARED_JARS),
            **(self.secure.env() if self.secure else {}),
        }

    def start(self) -> str:
        ensure_jars()
        return run_script("start", self.env())

    def stop(self) -> str:
        return run_script("stop", self.env())

    async def started(self) -> str:
        return await asyncio.to_thread(self.start)

    async def stopped(self) -> str:
        return await asyncio.to_thread(self.stop)

    def remove(self) -> None:
        """Stop it and delete its home: nothing of a run outlives it."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def stop_on_sigterm() -> None:
    """SIGTERM as Ctrl-C, so that a private broker and its workers are stopped too."""

    def interrupt(number: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
