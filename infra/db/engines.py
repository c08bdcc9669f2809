"""Engines, one per distinct database URL: contexts that share a database share its engine.

SQLite gets a single connection: every write goes through it, so writers queue in Python instead
of busy-waiting on the file lock (measured: p99 30 ms instead of 0.7 s)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.engine import CursorResult, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

# How long opening a connection keeps trying while the server is restarting (it refuses, or
# answers "starting up" / "shutting down"). Measured with `hotelbot soak`: a restart keeps the
# server away for 0.2-0.7 s; a failover to a standby takes a few seconds.
CONNECT_PATIENCE_S = 10.0
_NOT_THERE_YET = "57P03"  # cannot_connect_now: the server is starting up or shutting down
_patient: ContextVar[bool] = ContextVar("connect_patiently", default=True)


@contextlib.contextmanager
def impatiently() -> Iterator[None]:
    """Connections opened inside fail at once when the server is away: for a readiness probe,
    whose answer is whether the database is there right now."""
    token = _patient.set(False)
    try:
        yield
    finally:
        _patient.reset(token)


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
    event.listen(engine.sync_engine, "do_connect", _connect_patiently)
    event.listen(engine.sync_engine, "handle_error", _throw_away_if_left_busy)
    return engine


def _connect_patiently(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a connection, waiting out a restarting server instead of failing the guest's request.
    Safe to repeat: nothing was sent on a connection that never opened. Runs in SQLAlchemy's
    greenlet, where `await_only` waits on the event loop without blocking it."""
    deadline = time.monotonic() + CONNECT_PATIENCE_S
    delay = 0.05
    while True:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            if not _patient.get() or not _server_away(exc) or time.monotonic() + delay > deadline:
                raise
            log.info("the database is not there (%s); trying again in %.2f s", type(exc).__name__, delay)
            await_only(asyncio.sleep(delay))
            delay = min(delay * 2, 1.0)


def _server_away(exc: BaseException) -> bool:
    """Refused, reset, or 'starting up' / 'shutting down': a server that is restarting."""
    for error in (exc, exc.__cause__, getattr(exc, "orig", None)):
        if isinstance(error, OSError) or getattr(error, "sqlstate", None) == _NOT_THERE_YET:
            return True
    return False


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection whose server went away (a database restart, a failover, a killed
    backend) is replaced before anyone uses it: the server closes the socket when it ends the
    session, and the driver notices at once, so asking it costs no round trip (pre-ping costs
    one per transaction). The pool opens a fresh connection in its place."""
    if _closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this connection")


def _closed_by_server(dbapi_connection: Any) -> bool:
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    return is_closed is not None and bool(is_closed())


# What asyncpg says on a connection an interrupted operation left busy (seen after a database
# restart): every later use of it fails the same way, so it must never go back to the pool.
_LEFT_BUSY = ("another operation", 'protocol is in the "failed" state')


def _throw_away_if_left_busy(context: ExceptionContext) -> None:
    """Treat a connection stuck in the middle of another operation as lost: SQLAlchemy then
    invalidates it (closes it instead of pooling it) and marks the error `connection_invalidated`,
    so a read is asked again on a fresh one. Only this connection: the others are fine."""
    if any(phrase in str(context.original_exception) for phrase in _LEFT_BUSY):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def lost_connection(exc: BaseException) -> bool:
    """The statement failed because its connection is gone (the server ended the session, the
    socket broke, or the connection was left unusable), not because of the statement."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated
    return isinstance(exc, OSError)


class ReadConnection(AsyncConnection):
    """A connection of the read side: a read whose connection is lost under it (a database
    restart, a failover, a killed backend) is asked once more on a fresh connection, so the guest
    gets an answer instead of an error. Safe because reads change nothing and run in autocommit:
    each statement stands alone, so nothing of an earlier statement is lost with the connection.
    Writes are never asked again here (the unit of work handles them)."""

    # False once a statement failed on it, or once it was renewed (which then reads in a
    # transaction, see below): a reading lane is then closed rather than kept.
    sound = True

    async def execute(
        self,
        statement: Executable,
        parameters: Any = None,
        *,
        execution_options: Any = None,
    ) -> CursorResult[Any]:
        try:
            return await super().execute(statement, parameters, execution_options=execution_options)
        except BaseException as exc:
            self.sound = False
            if not isinstance(exc, (DBAPIError, OSError)):
                raise
            if getattr(statement, "is_dml", False) or not lost_connection(exc):
                raise
            log.info("a read lost its connection (%s); asking again on a fresh one", type(exc).__name__)
        # Thrown away (if SQLAlchemy has not already), then the next statement checks out a fresh
        # connection. That one runs its reads in a transaction (the isolation level is not set
        # again on it): as correct, one round trip slower, and only until this connection closes.
        await self.invalidate()
        await self.rollback()
        return await super().execute(statement, parameters, execution_options=execution_options)


class _Lane(ReadConnection):
    """A reading connection kept out of the pool between reads (see ReadEngine): entered, it is
    already started; left after a read that went well, it waits for the next one."""

    born = 0.0

    async def __aenter__(self) -> _Lane:
        if self.sync_connection is None:
            try:
                await self.start()
            except BaseException:
                engine = self.engine
                assert isinstance(engine, ReadEngine)
                engine._lanes -= 1  # never opened: its place is free again
                raise
            self.born = time.monotonic()
        return self

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        engine = self.engine
        assert isinstance(engine, ReadEngine)
        if type_ is None and engine._keeps(self):
            engine._idle.append(self)
            return
        engine._lanes -= 1
        await asyncio.shield(self.close())


class ReadEngine(AsyncEngine):
    """An engine whose connections are `ReadConnection`s: the one place reads are retried.

    On PostgreSQL up to `lanes` of them stay checked out between reads and are handed to the next
    read, so a read skips the pool's checkout and return (three greenlet switches, the isolation
    level set and reset, the return's rollback): measured 244-255 → 124-137 µs of CPU a read.
    Each read still has its connection to itself; when every lane is busy a read checks one out
    of the pool as before, never waiting for a lane. A lane is closed instead of kept after a read
    that failed, after its connection was renewed, once the server closed it, and after
    `LANE_LIFE_S` (as the pool recycles its connections)."""

    _connection_cls = ReadConnection
    LANE_LIFE_S = 600.0

    def __init__(self, sync_engine: Any, lanes: int = 0) -> None:
        super().__init__(sync_engine)
        self._max_lanes = lanes
        self._lanes = 0  # lanes open: idle or in use
        self._idle: list[_Lane] = []
        self._closing_tasks: set[asyncio.Task[None]] = set()

    def connect(self) -> AsyncConnection:
        while self._idle:
            lane = self._idle.pop()
            if self._alive(lane) and time.monotonic() - lane.born < self.LANE_LIFE_S:
                return lane
            self._lanes -= 1
            self._closing(lane)
        if self._lanes < self._max_lanes:
            self._lanes += 1
            return _Lane(self)
        return super().connect()

    def _alive(self, lane: _Lane) -> bool:
        """As `_drop_if_closed` asks of a pooled connection at checkout: closed by the server?"""
        try:
            raw = lane.sync_connection.connection.dbapi_connection if lane.sync_connection else None
        except Exception:
            return False
        return raw is not None and not _closed_by_server(raw)

    def _keeps(self, lane: _Lane) -> bool:
        young = time.monotonic() - lane.born < self.LANE_LIFE_S
        return young and lane.sound and not lane.closed and not lane.invalidated and self._max_lanes > 0

    def _closing(self, lane: _Lane) -> None:
        async def close() -> None:
            with contextlib.suppress(Exception):
                await lane.close()

        task = asyncio.get_running_loop().create_task(close())
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)

    async def close_lanes(self) -> None:
        """Before the pool is disposed: the idle lanes go back; none is kept from now on."""
        self._max_lanes = 0
        idle, self._idle = self._idle, []
        self._lanes -= len(idle)
        for lane in idle:
            with contextlib.suppress(Exception):
                await lane.close()
        if self._closing_tasks:
            await asyncio.wait(set(self._closing_tasks))


class Engines:
    def __init__(self, pool_size: int = 10, pre_ping: bool = False) -> None:
        self._engines: dict[str, AsyncEngine] = {}
        self._readers: dict[str, ReadEngine] = {}
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
        SQLite's driver begins no transaction for a SELECT anyway, so it keeps its isolation level.
        A read that loses its connection is asked again once (`ReadConnection`). On PostgreSQL an
        eighth of the pool (none below 8 connections, four at most) is kept as reading lanes
        (`ReadEngine`): an idle lane is a connection no write can have, and a consumer may hold
        half the pool while it waits for one more (main/consumers.py)."""
        if url not in self._readers:
            engine = self.get(url).sync_engine
            if is_sqlite(url):
                self._readers[url] = ReadEngine(engine)
            else:
                lanes = min(4, self._pool_size // 8)
                self._readers[url] = ReadEngine(engine.execution_options(isolation_level="AUTOCOMMIT"), lanes)
        return self._readers[url]

    async def dispose(self) -> None:
        for reader in self._readers.values():
            await reader.close_lanes()
        self._readers.clear()
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()
