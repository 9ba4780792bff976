"""The `eventcollab` command: Faust's worker plus commands to restock, place demo orders, ask."""

import os
import sys
from typing import Any
from uuid import uuid4

from faust.cli import argument, option
from pydantic import ValidationError

from eventcollab import auth
from eventcollab import demo as demo_orders
from eventcollab.asking import ask_tracker
from eventcollab.audit.command import install_audit_command
from eventcollab.cancelling import install_cancel_command
from eventcollab.clock import instant_of
from eventcollab.codec import encode
from eventcollab.dead_letters import install_dead_letters_command
from eventcollab.flowmap.command import install_flow_command
from eventcollab.listing import install_list_command
from eventcollab.models import AddStock
from eventcollab.presentation import WorkflowView
from eventcollab.rebuild_command import install_rebuild_command
from eventcollab.redriving import install_redrive_command
from eventcollab.render import render_status
from eventcollab.replay_command import install_replay_command
from eventcollab.replaying_dead_letters import install_replay_dead_letters_command
from eventcollab.runtime.kafka import declare_topics, new_producer
from eventcollab.settings import Settings
from eventcollab.shadowing import install_shadow_command
from eventcollab.topics import Topics
from eventcollab.watch import install_watch_command


async def add_stock(settings: Settings, topics: Topics, sku: str, quantity: int) -> AddStock:
    """Send an AddStock command and wait until the broker has it."""
    command = AddStock(command_id=uuid4(), sku=sku, quantity=quantity)
    # A restock may come before any worker created the topics.
    await declare_topics(settings, topics.all(), [])
    producer = new_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topics.stock_commands, encode(command), key=sku.encode())
    finally:
        await producer.stop()
    return command


def install_commands(app: Any, settings: Settings, topics: Topics) -> None:
    install_audit_command(app, settings)
    install_watch_command(app, settings)
    install_list_command(app, settings)
    install_cancel_command(app, settings)
    install_dead_letters_command(app, settings)
    install_replay_command(app, settings)
    install_rebuild_command(app, settings)
    install_redrive_command(app, settings)
    install_shadow_command(app, settings, topics)
    install_replay_dead_letters_command(app, settings)
    install_flow_command(app, settings)

    @app.command(
        argument("correlation_id"),
        option(
            "--as-of", "as_of", default=None, help="How it stood at this ISO time (no zone: UTC)."
        ),
    )
    async def status(self: Any, correlation_id: str, as_of: str | None) -> None:
        """Print a workflow's status and timeline, as the tracker knows it (or knew it then)."""
        try:
            instant = instant_of(as_of) if as_of is not None else None
        except ValueError as wrong:
            self.say(f"--as-of: {wrong}")
            raise SystemExit(2) from wrong
        url = f"{settings.tracker_url or settings.local_url}/workflows/{correlation_id}"
        query = {"as_of": instant.isoformat()} if instant else None
        body = await ask_tracker(url, self.say, query, auth.headers(settings))
        self.say(render_status(WorkflowView.model_validate_json(body), instant))

    @app.command(argument("sku"), argument("quantity", type=int))
    async def restock(self: Any, sku: str, quantity: int) -> None:
        """Add QUANTITY units of SKU to the inventory (an AddStock command on stock-commands)."""
        try:
            command = await add_stock(settings, topics, sku, quantity)
        except ValidationError as error:
            self.say(f"not restocked: {error}")
            raise SystemExit(2) from error
        self.say(f"restock of {quantity} x {sku} sent ({command.command_id})")

    @app.command(option("--wait", type=float, default=60.0, help="Seconds to wait for outcomes."))
    async def demo(self: Any, wait: float) -> None:
        """Restock the demo SKUs, place three demo orders and print their status URLs."""
        for sku, quantity in demo_orders.RESTOCK:
            await add_stock(settings, topics, sku, quantity)
        # No wait needed: each restock is acknowledged, so it precedes on its SKU's partition
        # every reservation that these orders will cause.
        await demo_orders.run(settings, self.say, wait)


def worker_service(args: list[str]) -> tuple[str | None, list[str]]:
    """`--service NAME` before the command, and the arguments without it. After the command
    it is the command's own option (`dead-letters --service payments`), left in place."""
    for at, arg in enumerate(args):
        if arg == "--service" and at + 1 < len(args):
            return args[at + 1], args[:at] + args[at + 2 :]
        if not arg.startswith("-"):
            break  # the command
    return None, args


def main() -> None:
    """`eventcollab [--service NAME] COMMAND`: --service picks which component a worker runs."""
    service, sys.argv[1:] = worker_service(sys.argv[1:])
    if service is not None:
        os.environ["EVENTCOLLAB_SERVICE"] = service
    from eventcollab.app import app

    app.main()
