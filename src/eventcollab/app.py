"""The Faust app: one worker runs every service, or one service, chosen by EVENTCOLLAB_SERVICE."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import faust

from eventcollab import cli, topics
from eventcollab.agents import inventory, orders, payments, shipping, tracker
from eventcollab.settings import Settings

INSTALLERS: dict[str, Callable[[Any, Settings, topics.Topics], Any]] = {
    "orders": orders.install,
    "payments": payments.install,
    "inventory": inventory.install,
    "shipping": shipping.install,
    "tracker": tracker.install,
}


class WorkflowApp(faust.App):
    """A Faust app that creates every topic it uses, with its partition count, at start-up."""

    workflow_topics: topics.Topics

    async def on_first_start(self) -> None:
        Path(self.conf.datadir).mkdir(parents=True, exist_ok=True)
        await super().on_first_start()

    async def on_start(self) -> None:
        await super().on_start()
        # A service also writes topics it never reads; left to the broker, the first send would
        # create them with one partition and break co-partitioning by correlation id.
        for topic in self.workflow_topics.all():
            await topic.maybe_declare()
        # Changelogs too, before the consumer subscribes: a changelog created after that is
        # missing from the consumer's metadata, and the first table write then fails Faust's
        # co-partitioning check ("changelog has 0 partitions"), crashing the agent.
        for table in self.tables.values():
            await table.changelog_topic.maybe_declare()

    def on_rebalance_end(self) -> None:
        super().on_rebalance_end()
        self.add_future(self.reread_uncommitted())

    async def reread_uncommitted(self) -> None:
        """Read every input partition again from its committed offset (or its start).

        Faust's recovery resumes the flow of events once while it reads the changelogs and once
        more at its end, and each resume empties the agents' buffers. Events fetched in between
        and not yet taken by every agent are then lost to the slower agents, and their offsets
        never commit. Reading again from the last commit brings them back; the handlers take the
        events that the faster agents already saw for the duplicates they are.
        """
        consumer: Any = self.consumer  # seek_to_committed is on the driver, not on ConsumerT
        changelogs = {table.changelog_topic.get_topic_name() for table in self.tables.values()}
        inputs = [tp for tp in consumer.assignment() if tp.topic not in changelogs]
        committed = await consumer.seek_to_committed()
        for tp in inputs:
            await consumer.seek(tp, committed.get(tp) or 0)


def create_app(settings: Settings | None = None, *, store: str = "rocksdb://") -> Any:
    settings = settings or Settings()
    app = WorkflowApp(
        settings.group_id,
        broker=settings.broker,
        store=store,
        datadir=str(settings.data_dir / settings.group_id),
        topic_partitions=settings.partitions,
        web_host=settings.web_host,
        web_port=settings.web_port,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        consumer_auto_offset_reset="earliest",
        autodiscover=False,
    )
    app.workflow_topics = topics.declare(app, settings)
    for service in settings.services:
        INSTALLERS[service](app, settings, app.workflow_topics)
    cli.install_commands(app, settings, app.workflow_topics)
    return app


app = create_app()
