"""On the real broker: the topics a worker creates carry the configuration its settings give."""

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.e2e.conftest import started
from tests.e2e.harness import BOOTSTRAP, Deployment

WANTED = ("cleanup.policy", "retention.ms", "min.insync.replicas")


async def configs(*topics: str) -> dict[str, dict[str, Any]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        asked = [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
        [response] = await admin.describe_configs(asked)
    finally:
        await admin.close()
    found: dict[str, dict[str, Any]] = {}
    for _, _, _, name, entries in response.resources:
        found[name] = {entry[0]: entry[1] for entry in entries if entry[0] in WANTED}
    return found


async def test_topics_are_created_with_the_retention_compaction_and_replicas_of_the_settings(
    deployment: Deployment,
) -> None:
    deployment.settings["EVENTCOLLAB_TOPIC_RETENTION_HOURS"] = "2"
    started(deployment, "all")
    orders = deployment.topic("orders")
    changelog = deployment.topic(f"{deployment.run_id}-tracker-changelog")

    found = await configs(orders, changelog)

    assert found[orders] == {
        "cleanup.policy": "delete",
        "retention.ms": "7200000",
        "min.insync.replicas": "1",
    }
    assert found[changelog] == {
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "min.insync.replicas": "1",
    }
