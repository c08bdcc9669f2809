"""`hotelbot bench steps`: the cost of the small database steps every event pays for, each alone
against PostgreSQL (a database of the benchmark's own, the schema migrated), with nothing else
running: wall time and this process's CPU a step, after a warm-up.

- relay batch: three outbox rows published by the relay, to a publisher that takes no time (the
  round trips and the statements of a batch, without the broker's confirms);
- notice: what the notifier writes around one message: the claim before it is sent, the mark
  after, and the note that the event's messages went out."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bench.common import cpu_s, fresh_database, ms, pct, table
from infra.config import load_settings
from infra.db import migrate as migrations
from infra.db.notices import SqlNotices
from infra.db.tables import MESSAGING
from infra.messaging.ports import OutgoingMessage
from infra.messaging.relay import OutboxRelay
from main.bootstrap import Container

WARM_UP = 200


class _NoBroker:
    async def publish(self, messages: list[OutgoingMessage]) -> None:
        await asyncio.sleep(0)


async def _measure(steps: int, prepare: Callable[[int], Awaitable[Any]], step: Callable[[int], Awaitable[Any]]) -> str:
    walls: list[float] = []
    cpus: list[float] = []
    for i in range(WARM_UP + steps):
        await prepare(i)
        started, cpu_started = time.perf_counter(), cpu_s()
        await step(i)
        if i >= WARM_UP:
            walls.append(time.perf_counter() - started)
            cpus.append(cpu_s() - cpu_started)
    wall = f"wall p50 {ms(pct(walls, 50))}, mean {ms(statistics.mean(walls))}"
    return f"{wall}; CPU {ms(statistics.mean(cpus))}"


async def run(steps: int = 1000) -> None:
    settings = load_settings(_env_file=None, database_url=await fresh_database(), telegram_bot_token="123456:BENCH")
    await migrations.upgrade(settings)
    container = Container(settings)
    try:
        engine = container.engine("reservation")
        outbox = MESSAGING["reservation"].outbox
        relay = OutboxRelay({"reservation": engine}, _NoBroker())

        async def three_rows(_: int) -> None:
            now = datetime.now(UTC)
            row = {"routing_key": "bench", "correlation_key": "k", "payload": "{}" * 100, "created_at": now}
            async with engine.begin() as conn:
                await conn.execute(outbox.insert(), [{**row, "event_id": uuid.uuid4()} for _ in range(3)])

        async def batch(_: int) -> None:
            sent = await relay.publish_batch("reservation")
            assert sent == 3, f"a batch took {sent} rows"

        notices = SqlNotices(container.engine("app"))
        reservation_id = uuid.uuid4()

        async def nothing(_: int) -> None:
            return None

        async def notice(i: int) -> None:
            event_id = uuid.uuid4()
            assert await notices.claim(event_id, 1000 + i, reservation_id, "request")
            await notices.done(event_id, 1000 + i, i)
            await notices.note(event_id, reservation_id, "requested")

        rows = [
            ("relay batch: 3 rows, a publisher that takes no time", await _measure(steps, three_rows, batch)),
            ("notice: claim, mark sent, note", await _measure(steps, nothing, notice)),
        ]
    finally:
        await container.engines.dispose()
    table(f"steps: each alone on PostgreSQL, {steps} times after {WARM_UP} not counted", rows)
