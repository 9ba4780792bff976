"""GET /stats/processing: what each processor of this worker did with the records it consumed.

Counted by the runtime when a unit of work is stored (see runtime.failures.Counts), in memory,
since the worker started: consumed = processed + dead_lettered.
"""

from aiohttp import web

from eventcollab.runtime.worker import Runtime


class ProcessingStats:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def get(self, request: web.Request) -> web.Response:
        processors = {}
        for name, processor in self.runtime.processors.items():
            counts = processor.counts  # one snapshot: the processor replaces it whole
            processors[name] = {
                "consumed": counts.consumed,
                "processed": counts.processed,
                "dead_lettered": counts.dead_lettered,
                "retried": counts.retried,
                "since": counts.since.isoformat(),
            }
        return web.json_response({"processors": processors})
