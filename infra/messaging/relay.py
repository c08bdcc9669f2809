"""The outbox relay: each context's unpublished events, published with confirms, marked sent
only after the confirm. A commit wakes it at once; a timer sweeps for anything missed.

Two relays on PostgreSQL never publish the same row twice in the normal case: a batch is claimed
with FOR UPDATE SKIP LOCKED and the claim lasts until the rows are marked. After a crash between
the confirm and the mark a row is published again; consumers are idempotent, so that is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Update, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infra.config import CONTEXTS
from infra.db.tables import MESSAGING
from infra.eventloop import woken
from infra.messaging.ports import OutgoingMessage, Publisher

log = logging.getLogger(__name__)


def _messages(rows: list[Row[Any]]) -> list[OutgoingMessage]:
    return [OutgoingMessage(r.event_id, r.routing_key, r.payload.encode()) for r in rows]


@cache
def _unpublished(context: str, lock: bool) -> Select[Any]:
    """Built once per context (see infra.db.uow): the oldest unpublished rows, `limit` of them."""
    outbox = MESSAGING[context].outbox
    query = (
        select(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.payload)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(bindparam("limit"))
    )
    return query.with_for_update(skip_locked=True) if lock else query


@cache
def _marking(context: str) -> Update:
    outbox = MESSAGING[context].outbox
    return (
        update(outbox)
        .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
        .values(published_at=bindparam("at", type_=outbox.c.published_at.type))
    )


class OutboxRelay:
    def __init__(
        self,
        engines: dict[str, AsyncEngine],
        publisher: Publisher,
        *,
        batch_size: int = 200,
        sweep_s: float = 5.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.engines = engines
        self.publisher = publisher
        self.batch_size = batch_size
        self.sweep_s = sweep_s
        self.max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._woken: set[str] = set()  # contexts that committed events since the last drain
        self._draining = asyncio.Lock()  # the prompt path and the sweep job never overlap
        self.published = 0

    def wake(self, context: str | None = None) -> None:
        """A commit wrote events: `context`'s outbox (every outbox when None) is drained at once."""
        self._woken.update(CONTEXTS if context is None else (context,))
        self._wake.set()

    async def _rows(self, conn: AsyncConnection, context: str, lock: bool) -> list[Row[Any]]:
        return list((await conn.execute(_unpublished(context, lock), {"limit": self.batch_size})).all())

    async def _mark(self, conn: AsyncConnection, context: str, ids: list[int]) -> None:
        await conn.execute(_marking(context), {"ids": ids, "at": datetime.now(UTC)})

    async def publish_batch(self, context: str) -> int:
        """Publish up to one batch of this context's outbox; returns how many rows were sent."""
        engine = self.engines[context]
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                rows = await self._rows(conn, context, lock=True)
                if rows:
                    await self.publisher.publish(_messages(rows))
                    await self._mark(conn, context, [r.id for r in rows])
        else:
            # SQLite has one writer and one relay: read, publish, mark, without holding the
            # connection while the messages are delivered.
            async with engine.connect() as conn:
                rows = await self._rows(conn, context, lock=False)
            if rows:
                await self.publisher.publish(_messages(rows))
                async with engine.begin() as conn:
                    await self._mark(conn, context, [r.id for r in rows])
        self.published += len(rows)
        return len(rows)

    async def drain(self, contexts: tuple[str, ...] = CONTEXTS) -> int:
        async with self._draining:
            return await self._drain(contexts)

    async def _drain(self, contexts: tuple[str, ...]) -> int:
        total = 0
        for context in contexts:
            while (sent := await self.publish_batch(context)) > 0:
                total += sent
                if sent < self.batch_size:
                    break
        return total

    async def run(self) -> None:
        """Drain the outboxes that commits announce; after `sweep_s` without one, or after a
        failure, sweep every outbox."""
        backoff, sweep = 0.5, True
        while True:
            self._wake.clear()
            contexts = CONTEXTS if sweep else tuple(c for c in CONTEXTS if c in self._woken)
            self._woken.clear()  # a commit from here on wakes the next round
            try:
                await self.drain(contexts)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: the rows wait in the outbox
                log.warning("relay could not publish (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff, sweep = min(backoff * 2, self.max_backoff_s), True
                continue
            sweep = not await woken(self._wake, self.sweep_s)  # a cancellation here always ends the loop


async def backlog(engines: dict[str, AsyncEngine]) -> dict[str, int]:
    """Unpublished events per context."""
    counts: dict[str, int] = {}
    for context in CONTEXTS:
        outbox = MESSAGING[context].outbox
        async with engines[context].connect() as conn:
            counts[context] = int(
                await conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))) or 0
            )
    return counts


async def outbox_state(engines: dict[str, AsyncEngine]) -> dict[str, tuple[int, datetime | None]]:
    """Per context: unpublished events, and when the oldest of them was written."""
    state: dict[str, tuple[int, datetime | None]] = {}
    for context in CONTEXTS:
        outbox = MESSAGING[context].outbox
        query = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        async with engines[context].connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        state[context] = (int(count or 0), oldest)
    return state
