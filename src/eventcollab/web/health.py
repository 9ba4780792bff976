"""GET /healthz and /readyz: the worker's probes, for Kubernetes or any supervisor.

/healthz is 200 while the worker's event loop beats and every processor's loop runs (503: restart
it); /readyz is 200 once every processor has its partitions assigned and restored and no rebalance
is under way (503: send it no traffic yet), with each processor's state in the body.
"""

from aiohttp import web

from eventcollab.runtime.health import not_alive, readiness
from eventcollab.runtime.worker import Runtime


class Probes:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def alive(self, request: web.Request) -> web.Response:
        heartbeat = self.runtime.heartbeat
        reason = not_alive(heartbeat, self.runtime.processors)
        body: dict[str, object] = {
            "alive": reason is None,
            "heartbeat_age_seconds": round(heartbeat.age, 3),
        }
        if reason is not None:
            body["reason"] = reason
        return web.json_response(body, status=200 if reason is None else 503)

    async def ready(self, request: web.Request) -> web.Response:
        state = readiness(self.runtime.heartbeat, self.runtime.processors)
        return web.json_response(state.body(), status=200 if state.ready else 503)
