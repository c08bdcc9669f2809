"""raw (c): the floor of the bot's stack. A plain python-telegram-bot Application whose one handler
does what the least a stateful bot does per update: one PostgreSQL transaction (read the user's
row, upsert it, SQLAlchemy Core on asyncpg) and one reply. It is fed exactly as the booking
benchmark feeds the real bot (updates put on the update queue, answers recorded by the in-process
Bot API), by `concurrency` guests who each wait for the answer before their next message."""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.common import cpu_s, pg_transactions, servers_cpu_s
from bench.guests import Guest
from bench.recording import RecordingRequest

metadata = MetaData()
floor_state = Table(
    "floor_state",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
_READ = select(floor_state.c.data).where(floor_state.c.user_id == bindparam("b_user"))
_UPSERT = (
    insert(floor_state)
    .values(user_id=bindparam("user_id"), data=bindparam("data"), updated_at=func.now())
    .on_conflict_do_update(index_elements=["user_id"], set_={"data": bindparam("data"), "updated_at": func.now()})
)


class Floor(NamedTuple):
    rate: float  # updates a second
    transactions: float  # PostgreSQL transactions an update
    calls: float  # Bot API calls an update
    cpu_s: float  # CPU of this process an update
    pg_cpu_s: float  # CPU of PostgreSQL an update


async def updates_per_s(url: str, guests: int = 1000, messages: int = 6, concurrency: int = 64) -> Floor:
    engine = create_async_engine(url, pool_size=40, max_overflow=0)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.effective_message is not None
        user = update.effective_user.id
        async with engine.begin() as conn:
            seen = await conn.scalar(_READ, {"b_user": user})
            data = f"{seen or ''}|{update.effective_message.text}"[-200:]
            await conn.execute(_UPSERT, {"user_id": user, "data": data})
        await update.effective_message.reply_text(f"noted: {update.effective_message.text}")

    request = RecordingRequest()
    application: Any = (
        ApplicationBuilder()
        .token("123456:FLOOR")
        .request(request)
        .get_updates_request(request)
        .updater(None)
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, handler))
    await application.initialize()
    await application.start()
    try:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with semaphore:
                guest = Guest(application, request, 50_000 + i)
                for n in range(messages):
                    await guest.say(f"message {n}", "noted")

        await one(-1)  # the pool's first connection and the statements' first preparation
        transactions, calls = await pg_transactions(url), request.calls
        servers = servers_cpu_s()  # read before the clock starts: it walks /proc
        started, cpu_started = time.perf_counter(), cpu_s()
        await asyncio.gather(*(one(i) for i in range(guests)))
        elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
        pg_cpu = servers_cpu_s()["PostgreSQL"] - servers["PostgreSQL"]
        calls = request.calls - calls
    finally:
        await application.stop()
        await application.shutdown()
        await engine.dispose()
    updates = guests * messages
    transactions = await pg_transactions(url, settle=True) - transactions
    return Floor(updates / elapsed, transactions / updates, calls / updates, cpu / updates, pg_cpu / updates)
