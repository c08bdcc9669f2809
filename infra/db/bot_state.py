"""The bot's conversation and user state in the database, read and written per update: rows of
`app_bot_state` (`kind`, `key`, JSON `data`), so any replica can take a guest's next update and a
guest half-way through a booking continues after a restart.

On PostgreSQL a user's turn is a transaction on a connection of its own holding an advisory lock
keyed by the user: BEGIN and lock (one round trip), read the user's rows, (the handler runs), write
what changed, COMMIT — which releases the lock, so the next replica to take one of that user's
updates reads what this one wrote: four round trips an update. They run on the driver (asyncpg)
directly, as prepared statements over arrays: every update pays for them, and through SQLAlchemy
Core the same turn cost about three times the CPU. The lock connections come from a small pool of
their own, never the pool the handlers' commands use, so turns that are held cannot starve the
commands they wait for.
On SQLite (one process, whose own per-user lane already orders a user's updates) there is no lock:
the rows are read before and written after, each in a short transaction of its own.

With one bot process only (`single`: long polling, which Telegram serves to one consumer per
token), that process's per-user lane already orders a user's updates, as on SQLite: there is no
lock to take and no other writer, so the rows it last read or wrote are kept in memory (as their
JSON text, for an hour at most) and a turn costs one round trip, the statement that writes what
changed (the update id among it, so an update redelivered after a restart is still skipped).
A user not in memory (first seen, or after a restart) is read from the database first."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Insert, and_, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infra.db.tables import bot_state

log = logging.getLogger(__name__)

# orjson would write dates, times and dataclasses its own way, and refuse non-str keys
_AS_BEFORE = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(data: Any) -> str:
    """A row's JSON: what the standard library wrote (dates and other objects as str()), faster."""
    return orjson.dumps(data, default=str, option=_AS_BEFORE).decode()


def _loads(text: str) -> Any:
    """A row as stored; what orjson refuses and the standard library read (NaN, a lone
    surrogate escape, an integer beyond 64 bits) is read as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


_PG_LOAD = (
    "SELECT kind, key, data FROM app_bot_state"
    " WHERE (kind, key) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[]))"
)
_PG_UPSERT = (
    "INSERT INTO app_bot_state (kind, key, data, updated_at)"
    " SELECT k, y, d, $4 FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS t(k, y, d)"
    " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)
# what changed, in one statement: rows cleared ($1, $2) and rows written ($3, $4, $5)
_PG_WRITE = (
    "WITH gone AS (DELETE FROM app_bot_state"
    " WHERE (kind, key) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[])))"
    " INSERT INTO app_bot_state (kind, key, data, updated_at)"
    " SELECT k, y, d, $6 FROM unnest($3::varchar[], $4::varchar[], $5::text[]) AS t(k, y, d)"
    " ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
)
_PG_DELETE = "DELETE FROM app_bot_state WHERE (kind, key) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[]))"
_DELETE = delete(bot_state).where(and_(bot_state.c.kind == bindparam("b_kind"), bot_state.c.key == bindparam("b_key")))


@cache
def _upsert(dialect: str) -> Insert:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(bot_state)
    return insert.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["kind", "key"], set_={"data": insert.excluded.data, "updated_at": insert.excluded.updated_at}
    )


async def _load(conn: AsyncConnection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    if not keys:
        return {}
    rows = await conn.execute(
        select(bot_state.c.kind, bot_state.c.key, bot_state.c.data).where(
            tuple_(bot_state.c.kind, bot_state.c.key).in_(keys)
        )
    )
    return {(kind, key): _loads(data) for kind, key, data in rows}


async def _save(conn: AsyncConnection, changed: dict[tuple[str, str], Any]) -> None:
    now = datetime.now(UTC)
    gone = [{"b_kind": kind, "b_key": key} for (kind, key), data in changed.items() if data is None]
    kept = [
        {"kind": kind, "key": key, "data": _dumps(data), "updated_at": now}
        for (kind, key), data in changed.items()
        if data is not None
    ]
    if gone:
        await conn.execute(_DELETE, gone)
    if kept:
        await conn.execute(_upsert(conn.dialect.name), kept)


def _begin_and_lock(user_id: int) -> str:
    """One lock space for the bot's users; hashing a namespaced text keeps it apart from any other
    advisory lock (a collision would only make two users wait for each other, never mix their
    state). Sent as one simple query: BEGIN and the lock in one round trip."""
    return f"BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('hotelbot.bot.user:{int(user_id)}', 0))"


# What a restarted or failed-over database does to a connection in use: the turn is done again,
# once, on a fresh connection (opening one waits out a server that is coming back).
LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError)


# How long a read or write of one process's remembered rows waits for a restarting database (a
# restart takes a few seconds; the guest's step must not be lost to it).
PATIENCE_S = 20.0


def _left_busy(exc: BaseException) -> bool:
    """What asyncpg says on a pooled connection the server ended under an operation (it may not
    have noticed the close yet when the pool hands it out)."""
    return isinstance(exc, asyncpg.InternalClientError) and (
        "another operation" in str(exc) or '"failed" state' in str(exc)
    )


async def _locked_write(raw: Any, changed: dict[tuple[str, str], Any]) -> None:
    gone = [row for row, data in changed.items() if data is None]
    kept = {row: _dumps(data) for row, data in changed.items() if data is not None}
    if gone:
        await raw.execute(_PG_DELETE, [kind for kind, _ in gone], [key for _, key in gone])
    if kept:
        kinds, keys = [kind for kind, _ in kept], [key for _, key in kept]
        await raw.execute(_PG_UPSERT, kinds, keys, list(kept.values()), datetime.now(UTC))


class _LockedLane:
    """PostgreSQL: the user's rows, read and written inside the transaction that holds their lock."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw  # asyncpg's connection
        self.changed: dict[tuple[str, str], Any] | None = None  # what this turn writes
        self.lost = False

    async def load(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        rows = await self.raw.fetch(_PG_LOAD, [kind for kind, _ in keys], [key for _, key in keys])
        return {(kind, key): _loads(data) for kind, key, data in rows}

    async def save(self, changed: dict[tuple[str, str], Any]) -> None:
        self.changed = changed
        try:
            await _locked_write(self.raw, changed)
        except LOST:  # the connection went away: written again, on another, once the turn ends
            self.lost = True


class _PlainLane:
    """SQLite: short transactions, never one held open while a handler runs (its one connection
    is everybody's)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def load(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        async with self.engine.connect() as conn:
            return await _load(conn, keys)

    async def save(self, changed: dict[tuple[str, str], Any]) -> None:
        async with self.engine.begin() as conn:
            await _save(conn, changed)


class _Remembered:
    """PostgreSQL with one bot process: the rows as last read or written, as JSON text (None: no
    row), the least recently used dropped past `limit`, any older than `fresh_s` read again."""

    KEEP_S = 600.0  # a connection kept between turns is closed once this old

    def __init__(self, engine: AsyncEngine, limit: int = 100_000, fresh_s: float = 3600.0) -> None:
        self.engine, self.limit, self.fresh_s = engine, limit, fresh_s
        self.rows: OrderedDict[tuple[str, str], tuple[float, str | None]] = OrderedDict()
        self._kept: list[tuple[AsyncConnection, Any, float]] = []  # with when it was opened
        self._drops: set[asyncio.Task[None]] = set()
        # Connections kept between turns: two, and always one fewer than the pool has.
        size = getattr(engine.sync_engine.pool, "size", lambda: 0)()
        self.lanes = max(0, min(2, size - 1))

    def lane(self) -> _RememberedLane:
        return _RememberedLane(self)

    def _known(self, row: tuple[str, str], now: float) -> bool:
        found = self.rows.get(row)
        return found is not None and now - found[0] < self.fresh_s

    def _keep(self, rows: dict[tuple[str, str], str | None], now: float) -> None:
        for row, text in rows.items():
            self.rows[row] = (now, text)
            self.rows.move_to_end(row)
        while len(self.rows) > self.limit:
            self.rows.popitem(last=False)

    async def _raw(self, work: Any) -> Any:
        """`work(raw asyncpg connection)` on a connection of the engine's, asked again on a fresh
        one for as long as the database is away (a restart: up to PATIENCE_S) whenever the
        connection was lost or left busy by it (both statements are safe to ask again: a read, and
        a write of the same values). A connection that answered is kept for the next turn (up to
        `lanes` of them: a turn then skips the pool's checkout and return, about 0.1 ms of CPU);
        one the server refused a statement on goes back to the pool; any other is thrown away."""
        deadline = time.monotonic() + PATIENCE_S
        for attempt in itertools.count(1):
            kept = self._take()
            born = time.monotonic()
            if kept is None:
                try:
                    conn = await self.engine.connect()
                except (OSError, DBAPIError) as exc:  # the server is not accepting connections yet
                    if time.monotonic() >= deadline:
                        raise
                    log.info("bot state: database away (%r); asking again", exc)
                    await asyncio.sleep(min(0.1 * attempt, 1.0))
                    continue
                raw: Any = None
            else:
                conn, raw, born = kept
            answered = False
            try:
                if raw is None:
                    raw = (await conn.get_raw_connection()).driver_connection
                result = await work(raw)
                answered = True
                return result
            except asyncpg.PostgresError as exc:
                if not isinstance(exc, LOST):
                    raise
                await self._lost(conn)
                if time.monotonic() >= deadline:
                    raise
            except BaseException as exc:
                if time.monotonic() >= deadline or not (isinstance(exc, LOST) or _left_busy(exc)):
                    await conn.invalidate()
                    raise
                await self._lost(conn)
            finally:
                if answered and len(self._kept) < self.lanes:
                    self._kept.append((conn, raw, born))
                else:
                    await conn.close()
            await asyncio.sleep(min(0.1 * attempt, 1.0))
        raise AssertionError("unreachable")

    def _take(self) -> tuple[AsyncConnection, Any, float] | None:
        """A kept connection the server has not closed (as `_drop_if_closed` asks at checkout),
        opened less than KEEP_S ago (the pool recycles its connections too)."""
        while self._kept:
            conn, raw, born = self._kept.pop()
            if not raw.is_closed() and time.monotonic() - born < self.KEEP_S:
                return conn, raw, born
            self._dropping(conn)
        return None

    def _dropping(self, conn: AsyncConnection) -> None:
        async def drop() -> None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
                await conn.close()

        task = asyncio.get_running_loop().create_task(drop())
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def _lost(self, conn: AsyncConnection) -> None:
        """A connection lost to a database restart (or every backend ended) says the pooled and
        kept others are likely gone too, though the driver may not have noticed yet: the try again
        gets a connection opened afresh (as SQLAlchemy does on a disconnect), not another one."""
        await conn.invalidate()
        kept, self._kept = self._kept, []
        for other, _, _ in kept:
            self._dropping(other)
        await self.engine.dispose(close=False)

    async def close(self) -> None:
        """The kept connections go back, before the engine is disposed."""
        kept, self._kept = self._kept, []
        for conn, _, _ in kept:
            with contextlib.suppress(Exception):
                await conn.close()
        if self._drops:
            await asyncio.wait(set(self._drops))


class _RememberedLane:
    def __init__(self, memory: _Remembered) -> None:
        self.memory = memory

    async def load(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        now = time.monotonic()
        missing = [row for row in keys if not self.memory._known(row, now)]
        if missing:
            kinds, names = [kind for kind, _ in missing], [key for _, key in missing]
            found = await self.memory._raw(lambda raw: raw.fetch(_PG_LOAD, kinds, names))
            read: dict[tuple[str, str], str | None] = dict.fromkeys(missing)
            read.update({(kind, key): data for kind, key, data in found})
            self.memory._keep(read, now)
        texts = {row: self.memory.rows[row][1] for row in keys}
        return {row: _loads(text) for row, text in texts.items() if text is not None}

    async def save(self, changed: dict[tuple[str, str], Any]) -> None:
        texts = {row: None if data is None else _dumps(data) for row, data in changed.items()}
        gone = [row for row, text in texts.items() if text is None]
        kept = [(row, text) for row, text in texts.items() if text is not None]
        arguments = (
            [kind for kind, _ in gone],
            [key for _, key in gone],
            [kind for (kind, _), _ in kept],
            [key for (_, key), _ in kept],
            [text for _, text in kept],
            datetime.now(UTC),
        )
        try:
            await self.memory._raw(lambda raw: raw.execute(_PG_WRITE, *arguments))
        except BaseException:
            for row in texts:  # written or not: the database says, next time
                self.memory.rows.pop(row, None)
            raise
        self.memory._keep(texts, time.monotonic())


class SqlBotState:
    """`hold(user)`: that user's turn. `engine` should be an engine of its own on PostgreSQL (each
    turn keeps one of its connections while the handler runs); `turns` turns at most run at once
    in this process, the others wait for one to end. `single`: this is the bot's one process
    (long polling), whose per-user lane is the turn: no lock, the rows remembered (see above)."""

    def __init__(self, engine: AsyncEngine, turns: int = 8, single: bool = False) -> None:
        self.engine = engine
        self.locking = engine.dialect.name == "postgresql"
        self._turns = asyncio.Semaphore(turns)
        self._memory = _Remembered(engine) if single and self.locking else None

    async def close(self) -> None:
        """Before the engine is disposed: the connections kept between turns go back."""
        if self._memory is not None:
            await self._memory.close()

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[_LockedLane | _PlainLane | _RememberedLane]:
        if self._memory is not None:
            yield self._memory.lane()
            return
        if not self.locking:
            yield _PlainLane(self.engine)
            return
        async with self._turns:
            conn, raw = await self._begin(user_id)
            lane = _LockedLane(raw)
            try:
                try:
                    yield lane
                except BaseException:
                    try:
                        await raw.execute("ROLLBACK")
                    except BaseException:
                        await conn.invalidate()  # never back to the pool inside a transaction
                    raise
                try:
                    if not lane.lost:
                        await raw.execute("COMMIT")
                except LOST:
                    lane.lost = True
                if lane.lost:
                    # The handler has answered the user: what it left them at must not be lost
                    # with the connection (their next update would find the conversation a step back).
                    await conn.invalidate()
                    if lane.changed:
                        log.warning("user %s: state written again after a lost connection", user_id)
                        await self._write_again(user_id, lane.changed)
            finally:
                await conn.close()

    async def _begin(self, user_id: int) -> tuple[AsyncConnection, Any]:
        """A connection holding the user's lock; a pooled one found dead is replaced once."""
        for attempt in (1, 2):
            conn = await self.engine.connect()
            try:
                raw: Any = (await conn.get_raw_connection()).driver_connection
                await raw.execute(_begin_and_lock(user_id))
                return conn, raw
            except LOST:
                await conn.invalidate()
                await conn.close()
                if attempt == 2:
                    raise
            except BaseException:
                await conn.close()
                raise
        raise AssertionError("unreachable")

    async def _write_again(self, user_id: int, changed: dict[tuple[str, str], Any]) -> None:
        conn, raw = await self._begin(user_id)
        try:
            await _locked_write(raw, changed)
            await raw.execute("COMMIT")
        except BaseException:
            await conn.invalidate()
            raise
        finally:
            await conn.close()
