"""The outbox relay: each context's unpublished events, published with confirms; their mark as
sent is kept only once the broker has confirmed them (on PostgreSQL it is written with the claim,
and committed after the confirms; on SQLite it is written after them). A commit wakes it at once;
a timer sweeps for anything missed.

Two relays on PostgreSQL never publish the same row twice in the normal case: a batch is claimed
and marked in one statement (FOR UPDATE SKIP LOCKED, UPDATE … RETURNING) whose transaction commits
only once the broker has confirmed every message of it, so the claim lasts until the mark is
kept, and a batch that fails to publish is rolled back, unmarked. After a crash between the
confirm and the commit a row is published again; consumers are idempotent, so that is harmless.

The same claim lets one relay keep rounds in flight side by side on PostgreSQL: a commit that
arrives while a round awaits its confirms starts the next round at once, and that round takes
only the rows the first has not claimed. The outboxes of a round are drained side by side too.
Events from one relay may therefore reach a consumer in another order than they were written, as
they already may from two relays or after a retry: consumers take events in any order (see
domain.view.model, domain.hotel)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
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

ROUND_GRACE_S = 5.0  # a stopping relay's rounds in flight have this long to finish
OVERLAP_S = 0.02  # a round starts beside one in flight only once that one has had this long


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
def _taking(context: str) -> Update:
    """PostgreSQL: the oldest unpublished rows not claimed by another round, `limit` of them,
    claimed and marked published at `at` at once (the mark is kept only if the transaction
    commits, after the broker's confirms): one round trip where a read and a mark took two."""
    outbox = MESSAGING[context].outbox
    batch = _unpublished(context, lock=True).with_only_columns(outbox.c.id).cte("batch")
    return (
        update(outbox)
        .where(outbox.c.id == batch.c.id)
        .values(published_at=bindparam("at", type_=outbox.c.published_at.type))
        .returning(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.payload)
    )


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
        depth: int = 1,
    ) -> None:
        """`depth`: rounds in flight at once, their outboxes drained side by side, when every
        outbox is on PostgreSQL (SQLite has no row claims: two rounds would read the same rows)."""
        self.engines = engines
        self.publisher = publisher
        self.batch_size = batch_size
        self.sweep_s = sweep_s
        self.max_backoff_s = max_backoff_s
        self.depth = depth if all(e.dialect.name == "postgresql" for e in engines.values()) else 1
        self._wake = asyncio.Event()
        self._woken: set[str] = set()  # contexts that committed events since the last round began
        self._slots = asyncio.Semaphore(self.depth)  # rounds in flight: the prompt path's and the sweep job's
        self.published = 0

    def wake(self, context: str | None = None) -> None:
        """A commit wrote events: `context`'s outbox (every outbox when None) is drained at once."""
        self._woken.update(CONTEXTS if context is None else (context,))
        self._wake.set()

    async def _rows(self, conn: AsyncConnection, context: str) -> list[Row[Any]]:
        return list((await conn.execute(_unpublished(context, lock=False), {"limit": self.batch_size})).all())

    async def _mark(self, conn: AsyncConnection, context: str, ids: list[int]) -> None:
        await conn.execute(_marking(context), {"ids": ids, "at": datetime.now(UTC)})

    async def publish_batch(self, context: str) -> int:
        """Publish up to one batch of this context's outbox; returns how many rows were sent."""
        engine = self.engines[context]
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                taken = await conn.execute(_taking(context), {"limit": self.batch_size, "at": datetime.now(UTC)})
                rows = sorted(taken.all(), key=lambda r: r.id)  # RETURNING keeps no order
                if rows:  # a failure here rolls the mark back: the rows wait for the next round
                    await self.publisher.publish(_messages(rows))
        else:
            # SQLite has one writer and one relay: read, publish, mark, without holding the
            # connection while the messages are delivered.
            async with engine.connect() as conn:
                rows = await self._rows(conn, context)
            if rows:
                await self.publisher.publish(_messages(rows))
                async with engine.begin() as conn:
                    await self._mark(conn, context, [r.id for r in rows])
        self.published += len(rows)
        return len(rows)

    async def drain(self, contexts: tuple[str, ...] = CONTEXTS) -> int:
        """Publish everything unpublished in `contexts`' outboxes now, as a round of its own (rows
        a round in flight holds are left to it)."""
        async with self._slots:
            return await self._drain(contexts)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Nothing is published while this is held (the rounds in flight finish first)."""
        taken = 0
        try:
            for _ in range(self.depth):
                await self._slots.acquire()
                taken += 1
            yield
        finally:
            for _ in range(taken):
                self._slots.release()

    async def _drain(self, contexts: tuple[str, ...]) -> int:
        if self.depth == 1:
            return sum([await self._drain_one(context) for context in contexts])
        # Side by side: a context's failure leaves the others to finish their batches.
        outcomes = await asyncio.gather(*(self._drain_one(c) for c in contexts), return_exceptions=True)
        failures = [(c, o) for c, o in zip(contexts, outcomes, strict=True) if isinstance(o, BaseException)]
        for context, failure in failures[1:]:  # the first is raised, and logged by whoever awaits it
            log.warning("relay could not publish %s's events (%s)", context, failure)
        if failures:
            raise failures[0][1]
        return sum(n for n in outcomes if isinstance(n, int))

    async def _drain_one(self, context: str) -> int:
        total = 0
        while (sent := await self.publish_batch(context)) > 0:
            total += sent
            if sent < self.batch_size:
                break
        return total

    async def run(self) -> None:
        """Drain the outboxes that commits announce, up to `depth` rounds at once; after
        `sweep_s` without a commit, or after a failure, sweep every outbox. Cancelled, it gives
        the rounds in flight a few seconds to finish (a round cut short after its confirms
        publishes its rows again)."""
        backoff, sweep = 0.5, True
        rounds: dict[asyncio.Task[int], tuple[bool, float]] = {}  # in flight: sweeps every outbox?, began at
        failure: BaseException | None = None  # a round failed: the loop backs off before the next

        def finished(round_: asyncio.Task[int]) -> None:
            nonlocal backoff, failure
            swept, _ = rounds.pop(round_, (False, 0.0))
            self._slots.release()
            if round_.cancelled():
                return
            if round_.exception() is not None:
                failure = round_.exception()
                self._wake.set()  # the loop backs off now, not at the next commit
            elif swept:  # every outbox went out: whatever failed before works again
                backoff = 0.5

        clock = asyncio.get_running_loop().time
        try:
            while True:
                if rounds and not self._slots.locked():
                    # a round that began less than OVERLAP_S ago and ends soon takes what came meanwhile
                    left = max(began for _, began in rounds.values()) + OVERLAP_S - clock()
                    if left > 0:
                        await asyncio.wait(list(rounds), timeout=left, return_when=asyncio.FIRST_COMPLETED)
                await self._slots.acquire()
                if failure is not None:  # broker or database away: the rows wait in the outbox
                    self._slots.release()
                    log.warning("relay could not publish (%s); retrying in %.1fs", failure, backoff)
                    failure = None
                    await asyncio.sleep(backoff)
                    backoff, sweep = min(backoff * 2, self.max_backoff_s), True
                    continue
                self._wake.clear()
                contexts = CONTEXTS if sweep else tuple(c for c in CONTEXTS if c in self._woken)
                self._woken.clear()  # a commit from here on wakes the next round
                round_ = asyncio.create_task(self._drain(contexts), name="relay round")
                rounds[round_] = (sweep, clock())
                round_.add_done_callback(finished)
                sweep = not await woken(self._wake, self.sweep_s)  # a cancellation here always ends the loop
        finally:
            if rounds:
                _, cut = await asyncio.wait(list(rounds), timeout=ROUND_GRACE_S)
                for round_ in cut:  # rolled back, unmarked: the next relay publishes them
                    round_.cancel()
                if cut:
                    await asyncio.wait(cut, timeout=1)


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
