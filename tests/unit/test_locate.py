"""Who owns which partition, as the group's leader tells every member after a rebalance."""

from typing import Any

from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from eventcollab.runtime.locate import Owners, locating_assignor


class Cluster:
    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(8))


def test_every_member_learns_the_url_of_each_partitions_owner() -> None:
    learned: list[Owners] = []
    first = locating_assignor("http://a:1", learned.append)
    second = locating_assignor("http://b:2", learned.append)
    members: dict[str, Any] = {
        "member-a": first.metadata(["orders", "payments"]),
        "member-b": second.metadata(["orders", "payments"]),
    }

    plan = first.assign(Cluster(), members)  # the leader's job, whichever member leads
    for member, assignor in (("member-a", first), ("member-b", second)):
        assignor.on_assignment(plan[member])

    expected = {n: "http://a:1" for n in range(4)} | {n: "http://b:2" for n in range(4, 8)}
    assert learned == [expected, expected]
    assert {tp.partition for tp in plan["member-a"].partitions()} == set(range(4))
    assert {tp.topic for tp in plan["member-b"].partitions()} == {"orders", "payments"}


def test_the_url_travels_with_the_subscription() -> None:
    metadata = locating_assignor("http://a:1", lambda owners: None).metadata(["orders"])

    assert isinstance(metadata, ConsumerProtocolMemberMetadata)
    assert metadata.user_data == b"http://a:1"
    assert metadata.subscription == ["orders"]
