"""Engines, one per distinct database URL: contexts that share a database share its engine.

SQLite gets a single connection: every write goes through it, so writers queue in Python instead
of busy-waiting on the file lock (measured: p99 30 ms instead of 0.7 s)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, pool_size: int = 10, pre_ping: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    # A fixed pool: a consumer with a large prefetch queues for connections instead of opening
    # more than PostgreSQL's max_connections allows across all processes.
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_pre_ping=pre_ping, pool_recycle=1800, pool_timeout=30
    )
    event.listen(engine.sync_engine, "checkout", _drop_if_closed)
    return engine


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection whose server went away (a database restart, a failover, a killed
    backend) is replaced before anyone uses it: the server closes the socket when it ends the
    session, and the driver notices at once, so asking it costs no round trip (pre-ping costs
    one per transaction). The pool opens a fresh connection in its place."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the server closed this connection")


class Engines:
    def __init__(self, pool_size: int = 10, pre_ping: bool = False) -> None:
        self._engines: dict[str, AsyncEngine] = {}
        self._pool_size = pool_size
        self._pre_ping = pre_ping

    def get(self, url: str) -> AsyncEngine:
        if url not in self._engines:
            self._engines[url] = make_engine(url, self._pool_size, self._pre_ping)
        return self._engines[url]

    def reader(self, url: str) -> AsyncEngine:
        """The same pool, for reads that need no transaction: in autocommit a read is one round
        trip instead of BEGIN, SELECT, ROLLBACK (measured: 554 → 330 µs a read). Each statement
        still sees one consistent snapshot, which is all READ COMMITTED gives a transaction.
        SQLite's driver begins no transaction for a SELECT anyway, so it keeps the engine as is."""
        engine = self.get(url)
        return engine if is_sqlite(url) else engine.execution_options(isolation_level="AUTOCOMMIT")

    async def dispose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()
