"""One run of the suite, from a fresh private broker to the last check, cleaned up in any case."""

import asyncio
import shutil
import time
import traceback

from eventcollab.crash import closing, flow, graceful, scenarios, verify
from eventcollab.crash.report import Clock, RunReport, say
from eventcollab.crash.run import Options, Run


async def run_suite(options: Options) -> RunReport:
    Clock.reset()
    run = Run(options)
    began = time.monotonic()
    progress: asyncio.Task[None] | None = None
    watching: asyncio.Task[None] | None = None
    say(f"crash suite ({options.mode}) in {options.root}, app id {run.report.run_id}")
    try:
        await set_up(run)
        progress = asyncio.create_task(run.progress())
        watching = asyncio.create_task(flow.watch(run))
        await (scenarios.short if options.short else scenarios.full)(run)
        say(f"faults done; placing until {options.workflows} orders are placed")
        await run.load_until(options.workflows)
        progress.cancel()
        watching.cancel()
        await checks(run)
    except Exception as error:
        run.report.errors.append(f"{type(error).__name__}: {error}")
        say(f"ERROR {traceback.format_exc()}")
    finally:
        for task in (progress, watching):
            if task is not None:
                task.cancel()
        await tear_down(run)
        run.report.duration_s = round(time.monotonic() - began, 1)
    return run.report


async def set_up(run: Run) -> None:
    say(f"private broker on {run.broker.bootstrap}")
    say(await run.broker.started())
    run.fleet.add("all")
    await run.fleet.start("all", reason="first start")
    await run.restock()
    await run.load.start()
    say(f"load: {run.options.rate:g} orders/s, half through POST /orders, half written directly")


async def checks(run: Run) -> None:
    say("stopping the load")
    await verify.stop_load(run)
    placed = await verify.reconcile(run)
    say(f"waiting for {len(placed)} workflows to conclude")
    states = await verify.concluded(run, placed)
    await verify.caught_up(run)
    await verify.tracker_holds(run, placed)
    await verify.stock_exact(run, states)
    await graceful.checked(run, states)
    verify.faults_as_planned(run, run.report)
    verify.shipping_waited(run, states)
    await flow.matches_the_log(run)
    say("stopping the workers")
    await run.fleet.stop_all()
    closing.clean_exits(run)
    say("auditing the log")
    await closing.audited(run)
    closing.logs_clean(run)


async def tear_down(run: Run) -> None:
    """Whatever happened: no load, no worker, no broker left; worker logs are kept."""
    if run.load.running:
        await run.load.stop(timeout=10)
    run.fleet.interrupt("the end of the run")
    await run.fleet.stop_all()
    await run.probe.close()
    await asyncio.to_thread(run.broker.remove)
    for data in run.deployment.root.glob("data-*"):
        shutil.rmtree(data, ignore_errors=True)
    say(f"private broker stopped and deleted; worker logs in {run.deployment.root}")
