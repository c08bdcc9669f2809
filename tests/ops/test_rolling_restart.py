"""A rolling restart of a consumer under a steady stream of bookings: a second `hotelbot consume
view` starts, the first gets SIGTERM mid-stream; every event is applied exactly once, nothing is
parked, and the queue drains."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from consumers import TOPOLOGY
from main.processes import Runtime
from tests.conftest import make_settings, scalar
from tests.integration.helpers import eventually, place, seed_hotel, stay
from tests.ops.helpers import Process, environment, sample

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ROOMS, NIGHTS_AHEAD = 20, 6  # 120 bookings


async def test_a_rolling_restart_of_the_view_consumer_applies_every_event_once_and_parks_nothing(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    broker = amqp()
    front = Runtime(
        make_settings(database_url=pg, **broker),
        bot=False,
        consumers=("reservation", "hotel", "payment"),
        scheduler=False,
        relay_sweep_s=0.5,
    )
    await front.start()
    env = environment(
        DATABASE_URL=pg.replace("+asyncpg", ""),
        AMQP_URL=broker["amqp_url"],
        AMQP_QUEUE_PREFIX=broker["amqp_queue_prefix"],
        AMQP_EXCHANGE=broker["amqp_exchange"],
    )
    first = await Process.start(tmp_path, env, "consume", "view")
    second: Process | None = None
    try:
        await first.ready()
        c = front.container
        _, rooms = await seed_hotel(c, rooms=ROOMS, sync_catalog=False)
        placed = 0

        async def stream() -> None:
            nonlocal placed
            for n in range(NIGHTS_AHEAD):
                check_in, check_out = stay(c, days_ahead=10 + n, nights=1)
                for i, room in enumerate(rooms):
                    await c.handle(place(room, 1000 + ROOMS * n + i, check_in, check_out))
                    placed += 1
                    await asyncio.sleep(0.02)  # a steady stream, not one burst

        bookings = asyncio.create_task(stream())
        await eventually(lambda: _at_least(lambda: placed, 30))
        second = await Process.start(tmp_path, env, "consume", "view")
        await second.ready()
        await eventually(lambda: _at_least(lambda: placed, 70))
        assert not bookings.done()  # the first replica stops mid-stream
        assert await first.stop() == 0, first.log()
        await bookings

        total = ROOMS * NIGHTS_AHEAD
        keys = ", ".join(f"'{key}'" for key in sorted(TOPOLOGY["view"]))
        sent = sum(
            [
                await scalar(pg, f"SELECT count(*) FROM {context}_outbox WHERE routing_key IN ({keys})")
                for context in ("reservation", "hotel", "payment")
            ]
        )
        assert sent >= 2 * total  # each booking: placed, and its payment approved

        async def all_applied() -> bool:
            return bool(await scalar(pg, "SELECT count(*) FROM view_inbox") == sent)

        await eventually(all_applied, timeout=60)  # the inbox's key admits each event once
        assert await scalar(pg, "SELECT count(*) FROM view_reservations") == total
        assert await _parked(broker, "view") == 0

        async def drained() -> bool:
            assert second is not None
            metrics = await second.metrics()
            return sample(metrics, "hotelbot_queue_depth", consumer="view") == 0

        await eventually(drained, timeout=30)  # the lag recovered
        after = await second.metrics()
        assert sample(after, "hotelbot_dead_letters", consumer="view") == 0
        assert not sample(after, "hotelbot_deliveries_total", consumer="view", outcome="parked")
        assert "parked" not in first.log(last=10_000)
    finally:
        await first.stop()
        if second is not None:
            assert await second.stop() == 0, second.log()
        await front.stop()


async def _at_least(count: Callable[[], int], wanted: int) -> bool:
    return count() >= wanted


async def _parked(broker: dict[str, Any], consumer: str) -> int:
    connection = await aio_pika.connect(broker["amqp_url"])
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{broker['amqp_queue_prefix']}.{consumer}.dead", passive=True)
        return queue.declaration_result.message_count or 0
    finally:
        await connection.close()
