"""How fast an empty data folder is restored from the changelogs, in records/s.

Two views: the runtime's own restore (eventcollab.runtime.store.Store) timed on its own into a
new folder, which gives the rate; and the all-in-one worker restarted with its data folder
deleted, which shows the whole start to ready.
"""

import asyncio
import re
import shutil
import time
from pathlib import Path
from typing import Any

from eventcollab import topics
from eventcollab.agents import inventory, orders, payments, shipping, tracker
from eventcollab.bench.contenders import Contender
from eventcollab.runtime.kafka import new_consumer
from eventcollab.runtime.store import Store

RESTORED = re.compile(r"restored (\d+) state records")
SERVICES = (orders, payments, inventory, shipping, tracker)


async def store_restore(contender: Contender, folder: Path) -> tuple[int, float]:
    """Every processor's changelog, all partitions, into empty stores: (records, seconds).

    Each with its own consumer and all at once, as the processors of a worker restore.
    """
    settings = contender.settings
    names = topics.declare(settings)
    specs = [spec for service in SERVICES for spec in service.processors(settings, names)]

    async def restore(name: str) -> int:
        store = Store(folder / name, settings.changelog_of(name))
        consumer = new_consumer(settings, None)
        await consumer.start()
        try:
            return await store.restore(consumer, list(range(settings.partitions)))
        finally:
            await consumer.stop()
            store.close()

    began = time.monotonic()
    records = await asyncio.gather(*(restore(spec.name) for spec in specs if spec.tables))
    return sum(records), time.monotonic() - began


async def restart_empty(contender: Contender) -> tuple[int, float]:
    """Stop the all-in-one worker, delete its data folder, start it until ready."""
    deployment = contender.deployment
    assert deployment is not None and len(deployment.workers) == 1
    [worker] = deployment.workers
    await asyncio.to_thread(worker.stop)
    shutil.rmtree(deployment.datadir(worker.label), ignore_errors=True)
    seconds = await worker.start().ready()
    assert worker.process is not None
    contender.sessions = {worker.process.pid}
    records = sum(int(found.group(1)) for found in RESTORED.finditer(worker.since_start()))
    return records, seconds


async def restore_rate(contender: Contender) -> dict[str, Any]:
    records, seconds = await store_restore(contender, contender.root / "restore")
    shutil.rmtree(contender.root / "restore", ignore_errors=True)
    restarted, ready = await restart_empty(contender)
    return {
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds) if seconds else None,
        "worker_restart_records": restarted,
        "worker_restart_to_ready_s": round(ready, 2),
    }
