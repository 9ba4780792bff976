"""The Faust app: one worker runs every service, or one service, chosen by EVENTCOLLAB_SERVICE.

Faust provides the worker and the command line. The services themselves run as processors of
eventcollab's runtime (see eventcollab.runtime.processor), each with its own consumer group, so
that an offset is committed only for records that service has finished. The HTTP interface runs
on a thread of its own (see eventcollab.web.server), registered as the worker's web server.
"""

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import faust

from eventcollab import cli, logs, topics, web
from eventcollab.agents import fail_on, inventory, orders, payments, shipping, stray, tracker
from eventcollab.runtime.kafka import faust_credentials
from eventcollab.runtime.processor import ProcessorSpec
from eventcollab.runtime.worker import READY, Runtime
from eventcollab.settings import Settings, from_environment
from eventcollab.web.server import WebServer

log = logging.getLogger(__name__)

PROCESSORS: dict[str, Callable[[Settings, topics.Topics], list[ProcessorSpec]]] = {
    "orders": orders.processors,
    "payments": payments.processors,
    "inventory": inventory.processors,
    "shipping": shipping.processors,
    "tracker": tracker.processors,
}


class WorkflowApp(faust.App):
    """A Faust app whose worker also runs eventcollab's processors."""

    runtime: Runtime
    server: WebServer

    async def on_first_start(self) -> None:
        Path(self.conf.datadir).mkdir(parents=True, exist_ok=True)
        # The worker has set up logging by now; from here on its lines carry the context.
        logs.install(self.runtime.settings.worker_id)
        self.add_future(self.runtime.heartbeat.beating())
        await super().on_first_start()

    async def on_start(self) -> None:
        await super().on_start()
        # The worker's --web-host and --web-port are known now: the other members of each
        # group forward queries for this worker's partitions there.
        self.runtime.url = f"http://{self.conf.web_host}:{self.conf.web_port}"
        # The web server starts before the processors, not after Faust's own table recovery
        # (it has no tables to recover): the probes answer through a long restore, and views of
        # state not restored yet answer as they do during any rebalance. An order it takes
        # goes to a topic declared already.
        await self.runtime.declare()
        if self.conf.web_enabled:
            await self.add_runtime_dependency(self.server)
        await self.add_runtime_dependency(self.runtime)
        self.add_future(self.announce_ready())

    async def on_started_init_web_server(self) -> None:
        """Started in `on_start` already."""

    async def announce_ready(self) -> None:
        """The line that tests and scripts wait for: state restored, and HTTP answered."""
        await self.runtime.ready()
        if self.conf.web_enabled:
            await self.server.listening.wait()
        names = ", ".join(self.runtime.processors) or "nothing"
        log.info("%s %s assigned and restored", READY, names)


def install_web_server(app: WorkflowApp, settings: Settings, names: topics.Topics) -> None:
    application = partial(web.application, settings, names, app.runtime)
    app.server = WebServer(application, lambda: (app.conf.web_bind, app.conf.web_port))
    app.web_server(app.server)


def create_app(settings: Settings | None = None) -> Any:
    settings = settings or from_environment()
    app = WorkflowApp(
        settings.worker_id,
        broker=settings.broker,
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(settings.data_dir / settings.worker_id),
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        # Faust's own consumer group holds a stop until a killed worker's member expires: with
        # Faust's defaults that is a minute after a kill -9.
        broker_session_timeout=settings.session_timeout,
        broker_rebalance_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        autodiscover=False,
        # Faust's own topic (its leader election) with as many copies as ours: with one, losing
        # the broker that holds it would leave Faust's consumer group without it.
        topic_replication_factor=settings.replication_factor,
        logging_config=logs.formats(settings.log_format, settings.worker_id),
    )
    names = topics.declare(settings)
    specs = [spec for service in settings.services for spec in PROCESSORS[service](settings, names)]
    specs = fail_on.applied(specs, settings.fail_on)  # empty but in tests
    specs = stray.applied(specs, settings.stray_customers, names.shipments)  # likewise
    app.runtime = Runtime(settings, specs, names.all())
    install_web_server(app, settings, names)
    cli.install_commands(app, settings, names)
    return app


app = create_app()
