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
the rows are read before and written after, each in a short transaction of its own."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy import Insert, and_, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infra.db.tables import bot_state

log = logging.getLogger(__name__)

_PG_LOAD = (
    "SELECT kind, key, data FROM app_bot_state"
    " WHERE (kind, key) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[]))"
)
_PG_UPSERT = (
    "INSERT INTO app_bot_state (kind, key, data, updated_at)"
    " SELECT k, y, d, $4 FROM unnest($1::varchar[], $2::varchar[], $3::text[]) AS t(k, y, d)"
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
    return {(kind, key): json.loads(data) for kind, key, data in rows}


async def _save(conn: AsyncConnection, changed: dict[tuple[str, str], Any]) -> None:
    now = datetime.now(UTC)
    gone = [{"b_kind": kind, "b_key": key} for (kind, key), data in changed.items() if data is None]
    kept = [
        {"kind": kind, "key": key, "data": json.dumps(data, default=str), "updated_at": now}
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


async def _locked_write(raw: Any, changed: dict[tuple[str, str], Any]) -> None:
    gone = [row for row, data in changed.items() if data is None]
    kept = {row: json.dumps(data, default=str) for row, data in changed.items() if data is not None}
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
        return {(kind, key): json.loads(data) for kind, key, data in rows}

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


class SqlBotState:
    """`hold(user)`: that user's turn. `engine` should be an engine of its own on PostgreSQL (each
    turn keeps one of its connections while the handler runs); `turns` turns at most run at once
    in this process, the others wait for one to end."""

    def __init__(self, engine: AsyncEngine, turns: int = 8) -> None:
        self.engine = engine
        self.locking = engine.dialect.name == "postgresql"
        self._turns = asyncio.Semaphore(turns)

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[_LockedLane | _PlainLane]:
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
