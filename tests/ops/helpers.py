"""Real hotelbot processes with their health port, and a TCP proxy that cuts a service away from
them (the shared PostgreSQL and RabbitMQ of the machine are never stopped)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import hotelbot
from tests.integration.helpers import eventually

HEALTH_LINE = re.compile(r"health on http://[^ ]+:(\d+) ")


def environment(**settings: str) -> dict[str, str]:
    """This machine's environment without hotelbot settings of its own, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    env.update({"LOG_LEVEL": "INFO", "PAYMENT_LATENCY_MS": "0", "DB_POOL_SIZE": "4", "RETRY_DELAYS_S": "0.2,0.5"})
    env.update(settings)
    return env


class Process:
    """`hotelbot <args>` with its health port read from its log; its output kept for failures."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.port = 0
        self._found = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, cwd: Path, env: dict[str, str], *args: str) -> Process:
        self = cls(await hotelbot(cwd, env, *args))
        try:
            await asyncio.wait_for(self._found.wait(), timeout=60)
        except TimeoutError:
            raise AssertionError(f"no health port logged:\n{self.log()}") from None
        return self

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            text = line.decode(errors="replace")
            self.lines.append(text)
            if not self.port and (found := HEALTH_LINE.search(text)):
                self.port = int(found.group(1))
                self._found.set()

    def log(self, last: int = 60) -> str:
        return "".join(self.lines[-last:])

    async def get(self, path: str, timeout: float = 5) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(f"http://127.0.0.1:{self.port}{path}") as response,
        ):
            return response.status, await response.text()

    async def status(self, path: str) -> int:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            return (await self.get(path, timeout=2))[0]
        return 0  # no answer at all

    async def ready(self, timeout: float = 60) -> None:
        async def check() -> bool:
            return await self.status("/readyz") == 200

        try:
            await eventually(check, timeout=timeout, interval=0.2)
        except AssertionError:
            raise AssertionError(f"never ready: {await self.get('/readyz')}\n{self.log()}") from None

    async def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        status, text = await self.get("/metrics")
        assert status == 200
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    async def stop(self, timeout: float = 60) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout=timeout)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
            await asyncio.gather(self._reader, return_exceptions=True)
        return code


def sample(metrics: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return metrics.get((name, frozenset(labels.items())))


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a service. `cut()` drops every connection and refuses new
    ones, as a service that went away would; `restore()` lets them through again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.open = True
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def via(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{self.port}"))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._links.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._links.discard(w)
                w.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    def cut(self) -> None:
        self.open = False
        for writer in list(self._links):
            writer.transport.abort()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def pg_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url.replace("+asyncpg", ""))
    return parts.hostname or "127.0.0.1", parts.port or 5432


def amqp_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5672


async def wait_status(process: Process, path: str, wanted: int, timeout: float = 60) -> None:
    async def check() -> Any:
        return await process.status(path) == wanted

    try:
        await eventually(check, timeout=timeout, interval=0.2)
    except AssertionError:
        raise AssertionError(f"{path} never answered {wanted}: {await process.get(path)}\n{process.log()}") from None
