"""The SQL unit of work shared by every context: one connection and transaction, the outbox
written at commit (with the events of every aggregate its repositories loaded or added), the
inbox for idempotent consumers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any, Self

from sqlalchemy import ColumnElement, Executable, Select, Table, Update, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.sql.dml import Insert

from domain.shared.events import Event
from infra.db.tables import Messaging
from infra.messaging.codec import encode

# Statements on the hot paths are built once and executed with parameters: a reused statement
# keeps its cache key, so SQLAlchemy neither rebuilds nor re-keys it per call (~110 µs CPU each).


@cache
def inserting_ignored(dialect: str, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING for `table`, built once per dialect; values come as parameters."""
    statement: Insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).on_conflict_do_nothing()
    return statement


def updating(table: Table, key: str, *guards: ColumnElement[bool]) -> Update:
    """UPDATE every column but `key` WHERE key = :b_<key> (and the guards), built once: the new
    values come as parameters named after their columns."""
    return (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"), *guards)
        .values({c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != key})
    )


@cache
def _inserting(table: Table) -> Insert:
    return table.insert()


@cache
def _seen(inbox: Table) -> Select[Any]:
    return select(inbox.c.event_id).where(
        inbox.c.consumer == bindparam("b_consumer"), inbox.c.event_id == bindparam("b_event")
    )


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
# unnest keeps the array's order: the locks are taken in the order given
_ADVISORY_LOCKS = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")


def _lock_key(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@cache
def _inbox_rows(dialect: str, inbox: Table) -> Executable:
    """The inbox rows of a batch, returning the ids that were new. On PostgreSQL one statement
    whatever the batch size (an array), so it is prepared once per connection, not once per size."""
    if dialect != "postgresql":
        return inserting_ignored(dialect, inbox).returning(inbox.c.event_id)
    return text(
        f"INSERT INTO {inbox.name} (consumer, event_id, processed_at)"  # the table is ours, not input
        " SELECT :consumer, id, :processed_at FROM unnest(CAST(:ids AS uuid[])) AS id"
        " ON CONFLICT DO NOTHING RETURNING event_id"
    ).columns(inbox.c.event_id)


class SqlUnitOfWork:
    """Re-enterable: each `async with` is a new transaction. Not shared between tasks."""

    def __init__(
        self,
        engine: AsyncEngine,
        messaging: Messaging,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.messaging = messaging
        self._after_commit = after_commit
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None
        self._events: list[Event] = []
        # Aggregates the repositories loaded or added in this transaction: their new events go
        # to the outbox at commit, so handlers never hand them over themselves.
        self.seen_aggregates: list[Any] = []
        self._written: set[Any] = set()  # event ids already in the outbox, across transactions

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "unit of work used outside `async with`"
        return self._conn

    def _bind(self, conn: AsyncConnection) -> None:
        """Subclasses build their repositories on the connection."""

    async def __aenter__(self) -> Self:
        self._conn = await self.engine.connect()
        try:
            self._tx = await self._conn.begin()
        except BaseException:
            await self._conn.close()
            raise
        self._events, self.seen_aggregates = [], []
        self._bind(self._conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                await self._tx.rollback()
        finally:
            if self._conn is not None:
                await self._conn.close()
            self._conn = self._tx = None
            self.seen_aggregates.clear()

    def emit(self, *events: Event) -> None:
        self._events.extend(events)

    def _collect(self) -> list[Event]:
        """Events emitted by hand, then those of every aggregate seen, each once."""
        collected: dict[Any, Event] = {}
        for event in [*self._events, *(e for a in self.seen_aggregates for e in a.events)]:
            if event.event_id not in self._written:
                collected.setdefault(event.event_id, event)
        return list(collected.values())

    async def commit(self) -> None:
        events = self._collect()
        if events:
            now = datetime.now(UTC)
            await self.conn.execute(
                _inserting(self.messaging.outbox),
                [
                    {
                        "event_id": e.event_id,
                        "routing_key": e.routing_key(),
                        "correlation_key": e.correlation_key,
                        "payload": encode(e).decode(),
                        "created_at": now,
                    }
                    for e in events
                ],
            )
        self._events = []
        self.seen_aggregates.clear()
        assert self._tx is not None
        await self._tx.commit()
        self._written.update(e.event_id for e in events)
        if events and self._after_commit is not None:
            self._after_commit()

    async def rollback(self) -> None:
        self._events = []
        self.seen_aggregates.clear()
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()

    async def prepare(self, events: list[Event]) -> None:
        """Before a batch of events is applied in this transaction: a unit of work may read at once
        what applying them will need (one statement for the batch instead of one per event)."""

    async def lock(self, key: str) -> None:
        """Serialise, until this transaction ends, every transaction that locks the same key — in
        any process. Consumers lock the aggregate an event is about, so two events of one
        reservation handled at once (competing consumers, prefetch) never interleave. SQLite has
        a single writer already."""
        if self.conn.dialect.name == "postgresql":
            await self.conn.execute(_ADVISORY_LOCK, {"k": _lock_key(key)})

    async def lock_all(self, keys: set[str]) -> None:
        """`lock` for several keys, in one round trip and in ascending order, so two
        transactions locking overlapping sets queue instead of deadlocking."""
        if self.conn.dialect.name == "postgresql" and keys:
            await self.conn.execute(_ADVISORY_LOCKS, {"keys": sorted(_lock_key(key) for key in keys)})

    async def seen(self, consumer: str, event_id: Any) -> bool:
        found = await self.conn.scalar(_seen(self.messaging.inbox), {"b_consumer": consumer, "b_event": event_id})
        return found is not None

    async def first_deliveries(self, consumer: str, event_ids: list[Any]) -> set[Any]:
        """Inbox rows for several events in one statement; returns the ids not seen before."""
        now = datetime.now(UTC)
        dialect = self.conn.dialect.name
        statement = _inbox_rows(dialect, self.messaging.inbox)
        if dialect == "postgresql":
            params: Any = {"consumer": consumer, "ids": event_ids, "processed_at": now}
        else:
            params = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in event_ids]
        return set((await self.conn.execute(statement, params)).scalars())

    async def first_delivery(self, consumer: str, event_id: Any) -> bool:
        result = await self.conn.execute(
            inserting_ignored(self.conn.dialect.name, self.messaging.inbox),
            {"consumer": consumer, "event_id": event_id, "processed_at": datetime.now(UTC)},
        )
        return result.rowcount == 1
