"""Shared fixtures: settings isolated from the environment, a fresh PostgreSQL database and a
RabbitMQ vhost of this test session's own (so parallel work on the machine is not disturbed).

The tests run in two processes (pytest-xdist, `-n 2` in pyproject.toml), each with a database
and a vhost of its own (named by the process). A test that restarts the broker starts a node of
its own for that (tests/integration/test_rabbitmq.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from infra.config import DATABASES, Settings
from infra.db.tables import METADATA

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AMQP_BASE = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
TOKEN = "123456:TEST-TOKEN"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "payment_latency_ms": 0,
        "retry_delays_s": (0.2, 0.5),
        "breaker_reset_s": 60,
        "db_pool_size": 8,  # tests run several processes against one PostgreSQL (max_connections 100)
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


async def create_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _pg_url(name).replace("postgresql://", "postgresql+asyncpg://")


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    """A database of this test session's own, migrated to head once."""
    from infra.db.migrate import upgrade

    name = f"hotelbot_test_{os.getpid()}"
    url = await create_database(name)
    await upgrade(make_settings(database_url=url))
    yield url
    await drop_database(name)


async def truncate_all(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [t.name for ctx in DATABASES for t in METADATA[ctx].sorted_tables]
        await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def pg(pg_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    await truncate_all(pg_url)
    return pg_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'hotelbot.db'}"


@pytest.fixture(params=["postgresql", "sqlite"])
async def db_url(request: pytest.FixtureRequest, pg: str, sqlite_url: str) -> str:
    """Each backend in turn: this test's PostgreSQL database, or a migrated SQLite file."""
    if request.param == "sqlite":
        from infra.db.migrate import upgrade

        await upgrade(make_settings(database_url=sqlite_url))
        return sqlite_url
    return pg


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def amqp_vhost() -> Iterator[str]:
    vhost = f"hotelbot-test-{os.getpid()}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield f"{AMQP_BASE}/{vhost}"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


@pytest.fixture
def amqp(amqp_vhost: str) -> Callable[..., dict[str, Any]]:
    """RabbitMQ settings with a queue prefix of this test's own."""
    prefix = f"t{uuid.uuid4().hex[:8]}"

    def settings(**extra: Any) -> dict[str, Any]:
        return {"amqp_url": amqp_vhost, "amqp_queue_prefix": prefix, "amqp_exchange": f"{prefix}.events", **extra}

    return settings


async def hotelbot(cwd: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """`hotelbot <args>` as a process of its own, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "main.cli",
        *args,
        cwd=cwd,
        env={"HEALTH_PORT": "0", "API_PORT": "0", **env},  # a free port each: processes run side by side
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def scalar(url: str, sql: str) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()
