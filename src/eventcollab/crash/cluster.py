"""A private three-node cluster for one run, through `scripts/broker cluster` on a temporary
home, and what its replicas say: who leads which partitions, who is missing from an ISR."""

import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from eventcollab.crash.broker import SCRIPT, SHARED_JARS, BrokerError, ensure_jars
from eventcollab.crash.processes import caller_env, free_port

NODES = (1, 2, 3)


def three_ports() -> tuple[int, ...]:
    return tuple(free_port() for _ in NODES)


@dataclass
class PrivateCluster:
    """Three nodes, each broker and controller, on free ports; the jars are the repository's."""

    home: Path
    ports: tuple[int, ...] = field(default_factory=three_ports)
    controller_ports: tuple[int, ...] = field(default_factory=three_ports)

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    @property
    def url(self) -> str:
        """EVENTCOLLAB_BROKER for the workers: every node, so that any two are enough."""
        return f"kafka://{self.bootstrap}"

    def log(self, node: int) -> Path:
        return self.home / f"node-{node}" / "node.log"

    def env(self) -> dict[str, str]:
        return {
            **caller_env(),
            "EVENTCOLLAB_CLUSTER_HOME": str(self.home),
            "EVENTCOLLAB_CLUSTER_PORTS": ",".join(map(str, self.ports)),
            "EVENTCOLLAB_CLUSTER_CONTROLLER_PORTS": ",".join(map(str, self.controller_ports)),
            "EVENTCOLLAB_BROKER_JARS": str(SHARED_JARS),
        }

    def run(self, *command: str, timeout: float = 180.0) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), "cluster", *command],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise BrokerError(
                f"scripts/broker cluster {' '.join(command)} failed:\n{done.stdout}{done.stderr}"
            )
        return done.stdout.strip()

    def start(self) -> str:
        ensure_jars()
        return self.run("start")

    def kill(self, node: int) -> str:
        return self.run("kill", str(node))

    def start_node(self, node: int) -> str:
        return self.run("start-node", str(node))

    def stop(self) -> str:
        return self.run("stop")


async def partitions(bootstrap: str) -> list[dict[str, Any]] | None:
    """Every topic's partitions with leader, replicas and ISR; None while no node answered.

    A fresh client each time: aiokafka's admin asks a node of its last metadata, and one that
    has just died fails the request instead of trying another."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        described: list[dict[str, Any]] = await admin.describe_topics()
    except KafkaError:
        return None
    finally:
        await admin.close()
    return [
        {"topic": topic["topic"], **partition}
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


def leaders(described: Iterable[dict[str, Any]], topics: Iterable[str]) -> Counter[int]:
    """How many partitions of these topics each node leads."""
    wanted = set(topics)
    return Counter(p["leader"] for p in described if p["topic"] in wanted)


def missing_from_isr(described: Iterable[dict[str, Any]], node: int) -> list[str]:
    """The partitions that keep a replica on `node` which is not in sync."""
    return [
        f"{p['topic']}-{p['partition']}"
        for p in described
        if node in p["replicas"] and node not in p["isr"]
    ]
