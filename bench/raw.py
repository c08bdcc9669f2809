"""raw: the infrastructure's own ceiling on this machine, in the same run as the others.
(a) a booking-shaped PostgreSQL transaction — insert the room-nights, the reservation and an
outbox row — from 32 concurrent tasks over asyncpg; (b) aio-pika confirmed publishing (pipelined)
and consuming with manual acks; (c) the bot stack's floor: a plain python-telegram-bot Application
doing one PostgreSQL transaction and one reply per update, fed as the booking benchmark feeds the bot
(bench/floor.py)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta

import aio_pika
import asyncpg

from bench import floor
from bench.common import table

SCHEMA = """
CREATE TABLE IF NOT EXISTS raw_nights (room_id uuid, night date, reservation_id uuid NOT NULL,
                                       PRIMARY KEY (room_id, night));
CREATE TABLE IF NOT EXISTS raw_reservations (id uuid PRIMARY KEY, guest_id bigint, room_id uuid,
    check_in date, check_out date, total bigint, status text, created_at timestamptz DEFAULT now());
CREATE TABLE IF NOT EXISTS raw_outbox (id bigserial PRIMARY KEY, event_id uuid UNIQUE, routing_key text,
    payload text, created_at timestamptz DEFAULT now(), published_at timestamptz);
"""


async def postgres_tx_per_s(url: str, tasks: int = 32, per_task: int = 150) -> float:
    pool = await asyncpg.create_pool(
        url.replace("postgresql+asyncpg://", "postgresql://"), min_size=tasks, max_size=tasks
    )
    assert pool is not None
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA)
        await conn.execute("TRUNCATE raw_nights, raw_reservations, raw_outbox")

    async def worker(n: int) -> None:
        room = uuid.uuid4()
        for i in range(per_task):
            rid = uuid.uuid4()
            night = date(2027, 1, 1) + timedelta(days=2 * i)
            async with pool.acquire() as conn, conn.transaction():
                await conn.executemany(
                    "INSERT INTO raw_nights VALUES ($1, $2, $3)",
                    [(room, night, rid), (room, night + timedelta(days=1), rid)],
                )
                await conn.execute(
                    "INSERT INTO raw_reservations (id, guest_id, room_id, check_in, check_out, total,"
                    " status) VALUES ($1, $2, $3, $4, $5, $6, 'placed')",
                    rid,
                    n,
                    room,
                    night,
                    night + timedelta(days=2),
                    20000,
                )
                await conn.execute(
                    "INSERT INTO raw_outbox (event_id, routing_key, payload) VALUES ($1, $2, $3)",
                    uuid.uuid4(),
                    "reservation.placed",
                    '{"type": "reservation.placed"}' * 8,
                )

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(tasks)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return tasks * per_task / elapsed


async def rabbit_rates(url: str, messages: int = 20_000, batch: int = 500) -> tuple[float, float]:
    connection = await aio_pika.connect_robust(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(
            f"raw-{uuid.uuid4().hex[:6]}", durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b'{"type": "reservation.placed"}' * 8
        started = time.perf_counter()
        for offset in range(0, messages, batch):
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name
                    )
                    for _ in range(min(batch, messages - offset))
                )
            )
        publish_rate = messages / (time.perf_counter() - started)

        consumer_channel = await connection.channel()
        await consumer_channel.set_qos(prefetch_count=256)
        consumed = 0
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal consumed
            await message.ack()
            consumed += 1
            if consumed >= messages:
                done.set()

        started = time.perf_counter()
        q = await consumer_channel.get_queue(queue.name)
        tag = await q.consume(on_message)
        await asyncio.wait_for(done.wait(), timeout=120)
        consume_rate = messages / (time.perf_counter() - started)
        await q.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
        return publish_rate, consume_rate
    finally:
        await connection.close()


async def run(pg: str, amqp: str) -> dict[str, float]:
    tx = await postgres_tx_per_s(pg)
    publish, consume = await rabbit_rates(amqp)
    plain = await floor.updates_per_s(pg.replace("postgresql://", "postgresql+asyncpg://"))
    table(
        "raw: the infrastructure's ceiling",
        [
            ("(a) booking-shaped PostgreSQL tx, 32 tasks", f"{tx:,.0f} tx/s"),
            ("(b) RabbitMQ confirmed publish, pipelined", f"{publish:,.0f} msg/s"),
            ("(b) RabbitMQ consume, manual ack", f"{consume:,.0f} msg/s"),
            ("(c) plain PTB Application: 1 PG tx (read + upsert) + 1 reply", f"{plain.rate:,.0f} updates/s"),
            (
                "(c) its work an update: PG transactions / Bot API calls",
                f"{plain.transactions:.2f} / {plain.calls:.2f}",
            ),
            (
                "(c) its CPU an update: this process / PostgreSQL",
                f"{plain.cpu_s * 1000:.2f} / {plain.pg_cpu_s * 1000:.2f} ms",
            ),
        ],
    )
    return {
        "tx": tx,
        "publish": publish,
        "consume": consume,
        "floor": plain.rate,
        "floor_transactions": plain.transactions,
        "floor_calls": plain.calls,
        "floor_cpu": plain.cpu_s,
        "floor_pg_cpu": plain.pg_cpu_s,
    }
