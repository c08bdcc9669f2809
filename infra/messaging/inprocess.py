"""The in-process bus, for `hotelbot run` with no broker: the relay hands each message to every
consumer that takes it, and only when all of them have applied it (or durably parked it) does the
relay mark the outbox row sent. Failures are retried with the same delays as on RabbitMQ, from the
`app_dead_letters` table, so a retry survives a restart; after the last attempt the message stays
parked there until an admin replays it.

A consumer with a backlog (the notifier, which waits on Telegram: its ~30 messages/s, its 429s,
its timeouts) is not applied inline: its messages are written to that table as due now, in the
same round, and worked off by that consumer's own retry worker, oldest first. Nothing is lost,
and Telegram never holds up the view, refunds or the hotel, nor their retries."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import dead_letters
from infra.db.uow import inserting_ignored
from infra.eventloop import woken
from infra.messaging.codec import UndecodableMessage, decode
from infra.messaging.consumer import Consumer
from infra.messaging.ports import NotReadyYet, OutgoingMessage, not_ready_delay
from infra.observability import metrics
from infra.observability.logs import event_flow

log = logging.getLogger(__name__)
CLAIM_BATCH = 100  # rows a retry worker takes at a time
CLAIM_S = 60  # a claimed row is due again after this, should its process die meanwhile


class InProcessBus:
    def __init__(self, engine: AsyncEngine, consumers: list[Consumer], delays: tuple[float, ...]) -> None:
        self.engine = engine
        self.consumers = consumers
        self._heard = frozenset().union(*(c.heard for c in consumers))  # passes when nobody here takes it
        self.delays = delays
        self.handled = 0
        self._due: dict[str, asyncio.Event] = {}  # per consumer: something was queued, sweep now

    def _next_attempt(self, attempts: int) -> datetime | None:
        if attempts > len(self.delays):
            return None
        return datetime.now(UTC) + timedelta(seconds=self.delays[attempts - 1])

    def _not_ready_attempt(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=not_ready_delay(self.delays))

    async def _park(
        self,
        parked: list[tuple[str, OutgoingMessage]],
        error: str,
        attempts: int,
        retry: bool = True,
        next_at: datetime | None = None,
    ) -> None:
        """Write (consumer, message) rows: due again at `next_at` (or after the delay for
        `attempts`), or, without `retry`, parked until an admin replays them."""
        now = datetime.now(UTC)
        due = (next_at or self._next_attempt(attempts)) if retry else None
        async with self.engine.begin() as conn:
            await conn.execute(
                inserting_ignored(conn.dialect.name, dead_letters),
                [
                    {
                        "consumer": consumer,
                        "event_id": m.event_id,
                        "routing_key": m.routing_key,
                        "payload": m.payload.decode(errors="replace"),
                        "error": error[:1000],
                        "attempts": attempts,
                        "next_attempt_at": due,
                        "created_at": now,
                    }
                    for consumer, m in parked
                ],
            )

    async def _deliver(self, consumer: Consumer, m: OutgoingMessage) -> None:
        try:
            event = decode(m.payload)
        except UndecodableMessage as exc:
            await self._park([(consumer.name, m)], f"undecodable: {exc}", 1, retry=False)
            metrics.delivered(consumer.name, "parked")
            return
        try:
            with event_flow(event):
                await consumer.handle(event)
            self.handled += 1
            metrics.delivered(consumer.name, "applied")
        except NotReadyYet as exc:
            await self._park([(consumer.name, m)], f"not ready: {exc}", 0, next_at=self._not_ready_attempt())
            metrics.delivered(consumer.name, "retried")
        except Exception as exc:
            log.warning("%s: %s %s failed, will retry: %r", consumer.name, m.routing_key, m.event_id, exc)
            await self._park([(consumer.name, m)], repr(exc), 1)
            metrics.delivered(consumer.name, "retried")

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        takers = {m.event_id: [c for c in self.consumers if m.routing_key in c.routing_keys] for m in messages}
        for m in messages:
            if not takers[m.event_id] and m.routing_key not in self._heard:
                # Every event has a consumer in `hotelbot run`; an event nobody here takes means
                # this process is not the whole system: refuse, and the row stays in the outbox.
                raise LookupError(f"no consumer in this process takes {m.routing_key}")
        queued = [(c.name, m) for m in messages for c in takers[m.event_id] if c.backlog]
        if queued:
            await self._park(queued, "queued", 0, next_at=datetime.now(UTC))
            for name in {name for name, _ in queued}:
                self._due.setdefault(name, asyncio.Event()).set()
        for m in messages:
            inline = [c for c in takers[m.event_id] if not c.backlog]
            await asyncio.gather(*(self._deliver(c, m) for c in inline))

    async def retry_due(self, consumer: Consumer | None = None) -> int:
        """Deliver the due queued or parked messages of `consumer` (of every consumer when None),
        oldest first. Returns how many succeeded."""
        succeeded = 0
        for c in [consumer] if consumer else self.consumers:
            while rows := await self._claim(c.name):
                succeeded += await self._retry_rows(c, rows)
                if len(rows) < CLAIM_BATCH:
                    break
        return succeeded

    async def _claim(self, consumer: str) -> list[Any]:
        """Take up to CLAIM_BATCH due rows: their next attempt moves CLAIM_S ahead, so another
        process (SKIP LOCKED on PostgreSQL) or the next sweep does not take them too, and a
        process that dies holding them gives them back when the claim runs out."""
        now = datetime.now(UTC)
        due = (
            select(dead_letters.c.id)
            .where(dead_letters.c.consumer == consumer, dead_letters.c.next_attempt_at <= now)
            .order_by(dead_letters.c.id)
            .limit(CLAIM_BATCH)
        )
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await conn.scalars(due)).all())
            if not ids:
                return []
            claimed = dead_letters.c.id.in_(ids)
            await conn.execute(
                update(dead_letters).where(claimed).values(next_attempt_at=now + timedelta(seconds=CLAIM_S))
            )
            return list((await conn.execute(select(dead_letters).where(claimed).order_by(dead_letters.c.id))).all())

    async def _retry_rows(self, consumer: Consumer, rows: list[Any]) -> int:
        succeeded = 0
        for n, row in enumerate(rows):
            try:
                event = decode(row.payload)
                with event_flow(event):
                    await consumer.handle(event)
            except asyncio.CancelledError:  # shutting down: what this worker holds is due again now
                await asyncio.shield(self._release([r.id for r in rows[n:]]))
                raise
            except NotReadyYet as exc:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        update(dead_letters)
                        .where(dead_letters.c.id == row.id)
                        .values(error=f"not ready: {exc}"[:1000], next_attempt_at=self._not_ready_attempt())
                    )
                metrics.delivered(consumer.name, "retried")
                continue
            except Exception as exc:
                attempts = row.attempts + 1
                next_at = self._next_attempt(attempts)
                if next_at is None:
                    log.error(
                        "%s: %s %s failed %d times, parked: %r",
                        row.consumer,
                        row.routing_key,
                        row.event_id,
                        attempts,
                        exc,
                    )
                async with self.engine.begin() as conn:
                    await conn.execute(
                        update(dead_letters)
                        .where(dead_letters.c.id == row.id)
                        .values(attempts=attempts, error=repr(exc)[:1000], next_attempt_at=next_at)
                    )
                metrics.delivered(consumer.name, "retried" if next_at is not None else "parked")
                continue
            async with self.engine.begin() as conn:
                await conn.execute(delete(dead_letters).where(dead_letters.c.id == row.id))
            succeeded += 1
            self.handled += 1
            metrics.delivered(consumer.name, "applied")
        return succeeded

    async def _release(self, ids: list[int]) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(dead_letters).where(dead_letters.c.id.in_(ids)).values(next_attempt_at=datetime.now(UTC))
                )
        except Exception:  # the claim runs out by itself
            log.warning("could not give back %d claimed message(s); due again in %d s", len(ids), CLAIM_S)

    async def run_retries(self, every_s: float = 1.0) -> None:
        """One worker per consumer: a consumer with a long backlog (the notifier behind Telegram)
        never delays another consumer's retries. Cancelled, it waits for every worker to give
        back what it had taken."""
        async with asyncio.TaskGroup() as workers:
            for consumer in self.consumers:
                workers.create_task(self._retry_loop(consumer, every_s))

    async def _retry_loop(self, consumer: Consumer, every_s: float) -> None:
        due = self._due.setdefault(consumer.name, asyncio.Event())
        while True:
            due.clear()
            try:
                await self.retry_due(consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: in-process retry sweep failed", consumer.name)
            await woken(due, every_s)  # a cancellation here always ends the worker


async def waiting(engine: AsyncEngine) -> dict[str, int]:
    """Per consumer, the messages queued or waiting for a retry (not the parked ones)."""
    query = (
        select(dead_letters.c.consumer, func.count())
        .where(dead_letters.c.next_attempt_at.is_not(None))
        .group_by(dead_letters.c.consumer)
    )
    async with engine.connect() as conn:
        return {consumer: int(count) for consumer, count in await conn.execute(query)}


async def parked_counts(engine: AsyncEngine) -> dict[str, int]:
    """Per consumer, the parked messages (waiting for an admin's replay)."""
    query = (
        select(dead_letters.c.consumer, func.count())
        .where(dead_letters.c.next_attempt_at.is_(None))
        .group_by(dead_letters.c.consumer)
    )
    async with engine.connect() as conn:
        return {consumer: int(count) for consumer, count in await conn.execute(query)}


async def parked(engine: AsyncEngine, consumer: str | None = None) -> list[dict[str, Any]]:
    query = select(dead_letters).where(dead_letters.c.next_attempt_at.is_(None)).order_by(dead_letters.c.id)
    if consumer:
        query = query.where(dead_letters.c.consumer == consumer)
    async with engine.connect() as conn:
        return [
            {
                "event_id": str(r.event_id),
                "type": r.routing_key,
                "attempts": r.attempts,
                "error": r.error,
                "consumer": r.consumer,
            }
            for r in await conn.execute(query)
        ]


async def replay(engine: AsyncEngine, consumer: str) -> int:
    """Give the parked messages of a consumer a fresh set of attempts, due now."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(dead_letters)
            .where(dead_letters.c.consumer == consumer, dead_letters.c.next_attempt_at.is_(None))
            .values(next_attempt_at=datetime.now(UTC), attempts=0)
        )
        return int(result.rowcount)
