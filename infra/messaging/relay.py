"""The outbox relay: each context's unpublished events, published with confirms, marked sent
only after the confirm. A commit wakes it at once; a timer sweeps for anything missed.

Two relays on PostgreSQL never publish the same row twice in the normal case: a batch is claimed
with FOR UPDATE SKIP LOCKED and the claim lasts until the rows are marked. After a crash between
the confirm and the mark a row is published again; consumers are idempotent, so that is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from infra.config import CONTEXTS
from infra.db.tables import MESSAGING
from infra.messaging.ports import OutgoingMessage, Publisher

log = logging.getLogger(__name__)


def _messages(rows: list[Row[Any]]) -> list[OutgoingMessage]:
    return [OutgoingMessage(r.event_id, r.routing_key, r.payload.encode()) for r in rows]


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
        self._draining = asyncio.Lock()  # the prompt path and the sweep job never overlap
        self.published = 0

    def wake(self, _context: str | None = None) -> None:
        self._wake.set()

    async def _rows(self, conn: AsyncConnection, context: str, lock: bool) -> list[Row[Any]]:
        outbox = MESSAGING[context].outbox
        query = (
            select(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch_size)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        return list((await conn.execute(query)).all())  # type: ignore[arg-type]

    async def _mark(self, conn: AsyncConnection, context: str, ids: list[int]) -> None:
        outbox = MESSAGING[context].outbox
        await conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(published_at=datetime.now(UTC)))

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

    async def drain(self) -> int:
        async with self._draining:
            return await self._drain()

    async def _drain(self) -> int:
        total = 0
        for context in CONTEXTS:
            while (sent := await self.publish_batch(context)) > 0:
                total += sent
                if sent < self.batch_size:
                    break
        return total

    async def run(self) -> None:
        backoff = 0.5
        while True:
            self._wake.clear()
            try:
                await self.drain()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: the rows wait in the outbox
                log.warning("relay could not publish (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.sweep_s)


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
