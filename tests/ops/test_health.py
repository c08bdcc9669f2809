"""/readyz and /healthz of a real `hotelbot consume view` process while its database or its broker
goes away and comes back (through a proxy the test cuts), and while its event loop is stopped."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN, hotelbot
from tests.ops.helpers import Process, TcpProxy, amqp_target, environment, pg_target, wait_status

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
async def proxies(pg: str, amqp_vhost: str) -> AsyncIterator[tuple[TcpProxy, TcpProxy]]:
    database, broker = TcpProxy(*pg_target(pg)), TcpProxy(*amqp_target(amqp_vhost))
    await database.start()
    await broker.start()
    yield database, broker
    await database.stop()
    await broker.stop()


async def problems(process: Process) -> dict[str, Any]:
    status, body = await process.get("/readyz")
    return {"status": status, **json.loads(body)}


async def test_readyz_turns_not_ready_while_the_database_or_the_broker_is_away_and_ready_again_after(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]], proxies: tuple[TcpProxy, TcpProxy]
) -> None:
    database, broker = proxies
    broker_settings = amqp()
    env = environment(
        DATABASE_URL=database.via(pg.replace("+asyncpg", "")),
        AMQP_URL=broker.via(broker_settings["amqp_url"]),
        AMQP_QUEUE_PREFIX=broker_settings["amqp_queue_prefix"],
        AMQP_EXCHANGE=broker_settings["amqp_exchange"],
    )
    process = await Process.start(tmp_path, env, "consume", "view")
    try:
        await process.ready()
        assert (await process.get("/healthz"))[0] == 200

        database.cut()
        await wait_status(process, "/readyz", 503)
        away = await problems(process)
        assert "view database" in away["problems"]["databases"], away
        assert (await process.get("/healthz"))[0] == 200  # alive: a restart would not bring the database back
        database.restore()
        await process.ready()

        broker.cut()
        await wait_status(process, "/readyz", 503)
        away = await problems(process)
        assert set(away["problems"]) == {"broker"}, away
        broker.restore()
        await process.ready()
        assert process.process.returncode is None  # the same process all along
    finally:
        code = await process.stop()
    assert code == 0, process.log()


async def test_healthz_fails_once_the_event_loop_was_blocked_longer_than_the_limit(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    broker_settings = amqp()
    env = environment(
        DATABASE_URL=pg.replace("+asyncpg", ""),
        AMQP_URL=broker_settings["amqp_url"],
        AMQP_QUEUE_PREFIX=broker_settings["amqp_queue_prefix"],
        AMQP_EXCHANGE=broker_settings["amqp_exchange"],
        HEALTH_MAX_LOOP_LAG_S="1",
    )
    process = await Process.start(tmp_path, env, "consume", "view")
    try:
        await process.ready()
        assert (await process.get("/healthz"))[0] == 200
        # Nothing in the process runs for 3 s: to its event loop, exactly a blocking call.
        process.process.send_signal(signal.SIGSTOP)
        await asyncio.sleep(3)
        process.process.send_signal(signal.SIGCONT)
        await wait_status(process, "/healthz", 503, timeout=10)
        status, body = await process.get("/healthz")
        assert status == 503 and "event loop was blocked" in body, body
        await wait_status(process, "/healthz", 200, timeout=60)  # a loop that runs freely again is live
    finally:
        process.process.send_signal(signal.SIGCONT)
        code = await process.stop()
    assert code == 0, process.log()


async def test_a_health_port_in_use_stops_the_start_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(TELEGRAM_BOT_TOKEN=TOKEN, HEALTH_LISTEN="127.0.0.1", HEALTH_PORT=str(port))
        process = await hotelbot(tmp_path, env, "run")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines()[-1] == (
        f"hotelbot: setting HEALTH_PORT: cannot listen on 127.0.0.1:{port}: Address already in use;"
        " one port per process on a host (0: any free one)"
    )
