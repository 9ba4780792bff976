"""EVENTCOLLAB_BROKER may name a cluster: every client, Faust's own too, gets every broker."""

import pytest

from eventcollab.app import create_app
from eventcollab.crash.drain import LagProbe
from eventcollab.runtime.kafka import client_options
from eventcollab.settings import Settings

CLUSTER = "a:9092,b:9092,c:9092"


@pytest.mark.parametrize(
    "broker",
    [
        "kafka://a:9092,b:9092,c:9092",
        "kafka://a:9092;kafka://b:9092;kafka://c:9092",
        "kafka://a:9092, kafka://b:9092 ,c:9092",
        "a:9092,b:9092,c:9092,",
    ],
)
def test_each_way_of_listing_the_brokers_reaches_all_three(broker: str) -> None:
    settings = Settings(broker=broker)

    assert client_options(settings)["bootstrap_servers"] == CLUSTER
    assert LagProbe(settings).bootstrap == CLUSTER


def test_faust_gets_the_same_brokers_and_copies_its_own_topic_as_ours() -> None:
    settings = Settings(
        broker="kafka://a:9092,kafka://b:9092,kafka://c:9092",
        replication_factor=3,
        min_insync_replicas=2,
    )

    conf = create_app(settings).conf

    assert [f"{url.host}:{url.port}" for url in conf.broker] == CLUSTER.split(",")
    assert conf.topic_replication_factor == 3
