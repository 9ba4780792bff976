"""The broker's own limit: Kafka's producer and consumer perf-test classes (kafka-tools).

The jars are resolved once with Maven into .broker/perf-tools/ (git-ignored), at the broker's
version, and run with `java -cp`. Records are about as large as an event of the workflow.
"""

import re
import subprocess
from pathlib import Path
from typing import Any

from eventcollab.bench.machine import kafka_version
from eventcollab.crash.broker import ROOT

HOME = ROOT / ".broker" / "perf-tools"
RECORDS = 500_000
RECORD_BYTES = 600
POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>eventcollab</groupId>
  <artifactId>kafka-perf-tools</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def jars() -> Path:
    folder = HOME / "jars"
    if not (folder / ".complete").exists():
        HOME.mkdir(parents=True, exist_ok=True)
        (HOME / "pom.xml").write_text(POM.format(version=kafka_version()))
        command = ["mvn", "-B", "-q", "-f", str(HOME / "pom.xml"), "dependency:copy-dependencies"]
        command += [f"-DoutputDirectory={folder}", "-DincludeScope=runtime"]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        (folder / ".complete").touch()
    return folder


def java(tool: str, *args: str) -> str:
    command = ["java", "-Xmx512m", "-cp", f"{jars()}/*", f"org.apache.kafka.tools.{tool}", *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    return done.stdout


def produce(bootstrap: str, topic: str) -> dict[str, Any]:
    output = java(
        "ProducerPerformance",
        *("--topic", topic, "--num-records", str(RECORDS), "--record-size", str(RECORD_BYTES)),
        *("--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all"),
    )
    last = output.strip().splitlines()[-1]
    found = re.search(r"([\d.]+) records/sec \(([\d.]+) MB/sec\)", last)
    assert found, output
    return {"records_per_s": float(found.group(1)), "mb_per_s": float(found.group(2))}


def consume(bootstrap: str, topic: str) -> dict[str, Any]:
    output = java(
        "ConsumerPerformance",
        *("--bootstrap-server", bootstrap, "--topic", topic),
        *("--messages", str(RECORDS), "--timeout", "60000"),
    )
    header, values = [line.split(", ") for line in output.strip().splitlines()[-2:]]
    row = dict(zip([h.strip() for h in header], values, strict=True))
    return {"records_per_s": float(row["nMsg.sec"]), "mb_per_s": float(row["MB.sec"])}


def measure(bootstrap: str, topic: str) -> dict[str, Any]:
    """Produce RECORDS records as fast as acks=all allows, then read them all back."""
    settings = {"records": RECORDS, "record_bytes": RECORD_BYTES, "acks": "all"}
    return settings | {"produce": produce(bootstrap, topic), "consume": consume(bootstrap, topic)}
