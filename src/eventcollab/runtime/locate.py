"""Who owns which partition, and at which URL: carried by the consumer group's own protocol.

Each member of a processor's group sends the URL of its web server with its subscription; the
group's leader assigns partitions with Kafka's range assignor and sends every member the whole
map, partition number to owner URL, with its assignment. So after each rebalance every member
knows where to send a query for a key it does not own, without another topic or a registry, and
the map changes exactly when the ownership does (Kafka Streams' `application.server` works so).
"""

import json
from collections.abc import Callable, Iterable, Mapping

from aiokafka.cluster import ClusterMetadata
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)

Owners = dict[int, str]  # partition number: the owner's web URL


def owners_of(
    plan: Mapping[str, ConsumerProtocolMemberAssignment],
    members: Mapping[str, ConsumerProtocolMemberMetadata],
) -> Owners:
    """Partition numbers to the URL of the member assigned them (every input topic has the same
    partition count and the range assignor gives a member the same numbers of each)."""
    return {
        partition: members[member].user_data.decode()
        for member, assignment in plan.items()
        for _, partitions in assignment.assignment
        for partition in partitions
    }


def locating_assignor(url: str, learn: Callable[[Owners], None]) -> type[RangePartitionAssignor]:
    """A range assignor that also tells every member where each partition's owner answers."""

    class LocatingAssignor(RangePartitionAssignor):  # type: ignore[misc]
        name = "eventcollab-range"  # every member of a group must offer the same protocol

        @classmethod
        def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
            return ConsumerProtocolMemberMetadata(cls.version, list(topics), url.encode())

        @classmethod
        def assign(
            cls, cluster: ClusterMetadata, members: Mapping[str, ConsumerProtocolMemberMetadata]
        ) -> dict[str, ConsumerProtocolMemberAssignment]:
            plan = super().assign(cluster, members)
            directory = json.dumps(owners_of(plan, members)).encode()
            return {
                member: ConsumerProtocolMemberAssignment(cls.version, a.assignment, directory)
                for member, a in plan.items()
            }

        @classmethod
        def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
            found = json.loads(assignment.user_data or b"{}")
            learn({int(partition): owner for partition, owner in found.items()})

    return LocatingAssignor
