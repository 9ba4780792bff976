"""What topics are created with: replicas, retention and compaction set explicitly."""

import pytest
from pydantic import ValidationError

from eventcollab.runtime.kafka import topic_config
from eventcollab.settings import Settings


def test_workflow_topics_keep_their_events_for_the_retention_and_changelogs_are_compacted() -> None:
    production = Settings(replication_factor=3, min_insync_replicas=2, topic_retention_hours=720)
    assert topic_config(production, compacted=False) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
        "retention.ms": str(720 * 3_600_000),
    }
    assert topic_config(production, compacted=True) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "compact",
        "retention.ms": "-1",
    }
    forever = Settings(topic_retention_hours=-1)
    assert topic_config(forever, compacted=False)["retention.ms"] == "-1"
    assert topic_config(Settings(), compacted=False)["retention.ms"] == str(168 * 3_600_000)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"replication_factor": 1, "min_insync_replicas": 2}, "EVENTCOLLAB_MIN_INSYNC_REPLICAS"),
        ({"topic_retention_hours": 0}, "EVENTCOLLAB_TOPIC_RETENTION_HOURS"),
        ({"replication_factor": 0}, "replication_factor"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, float], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**settings)
