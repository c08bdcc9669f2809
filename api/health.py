"""Liveness, readiness and metrics over HTTP: a tiny ASGI app every long-running process serves.

It knows nothing of databases or brokers: the composition root hands it plain callables.
- /healthz: the process lives (its event loop answers and was not blocked too long);
- /readyz: it can do its work now (every check passes) and is not draining after SIGTERM;
- /metrics: the Prometheus exposition."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]  # None: fine; else what is wrong
CHECK_TIMEOUT_S = 3.0


def health_app(
    *,
    live: Callable[[], str | None],
    checks: dict[str, Check],
    draining: Callable[[], bool],
    metrics: Callable[[], Awaitable[tuple[bytes, str]]],
) -> Starlette:
    async def healthz(_: Request) -> Response:
        problem = live()
        if problem is not None:
            return JSONResponse({"status": "failing", "problem": problem}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if draining():
            return JSONResponse({"status": "draining"}, status_code=503)
        names = list(checks)
        answers = await asyncio.gather(*(_checked(checks[name]) for name in names))
        problems = {name: problem for name, problem in zip(names, answers, strict=True) if problem is not None}
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready", "checks": names})

    async def metrics_page(_: Request) -> Response:
        body, content_type = await metrics()
        return Response(body, headers={"Content-Type": content_type})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_page),
        ]
    )


async def _checked(check: Check) -> str | None:
    try:
        return await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_S:.0f}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


class PortInUse(Exception):
    pass


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the process's own SIGTERM handling decides when to stop, not uvicorn


class HealthServer:
    """Serves an app on host:port inside the running event loop; port 0 picks a free one."""

    def __init__(self, app: Any, host: str, port: int, name: str = "health server") -> None:
        self.host, self.name = host, name
        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))  # here, so a port in use stops the start with a clear error
        except OSError as exc:
            self.socket.close()
            raise PortInUse(f"{host}:{port}: {exc.strerror}") from None
        self.port = int(self.socket.getsockname()[1])
        config = uvicorn.Config(app, lifespan="off", access_log=False, log_config=None, log_level="warning")
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.socket]), name=self.name)
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError(f"the {self.name} stopped at start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        self.socket.close()
