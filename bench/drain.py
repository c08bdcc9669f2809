"""`hotelbot bench drain`: how long each kind of process takes to stop on SIGTERM while work
streams in, and how soon its /readyz turns away new work.

Each process runs on PostgreSQL + RabbitMQ (a database and vhost of the benchmark's own) with the
Bot API stand-in of the tests for Telegram, alone beside a relay that publishes a steady stream of
bookings; once it is ready and has run for a moment under the stream, it gets SIGTERM. Measured:
SIGTERM → /readyz answers 503 (or no longer answers), and SIGTERM → the process exited."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from datetime import timedelta
from typing import Any

import aiohttp

from bench.common import ms, table
from domain.hotel import commands as hc
from domain.reservation.commands import PlaceReservation
from infra.config import Settings
from main.processes import Runtime

KINDS: list[tuple[str, ...]] = [
    ("run",),
    ("bot",),
    ("relay",),
    ("scheduler",),
    ("consume", "reservation"),
    ("consume", "hotel"),
    ("consume", "payment"),
    ("consume", "view"),
    ("consume", "notifier"),
]
HEALTH_LINE = re.compile(r"health on http://[^ ]+:(\d+) ")
TOKEN = "123456:BENCH-TOKEN"


async def run(settings: Settings, rate: float, warm_s: float) -> None:
    from tests.botapi import FakeBotApi  # the Bot API stand-in: a tool beside the product, like this benchmark

    api = FakeBotApi(TOKEN)
    await api.start()
    front = Runtime(settings, bot=False, consumers=(), scheduler=False, relay_sweep_s=0.5)
    await front.start()
    env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
    assert settings.amqp_url is not None
    env.update(
        DATABASE_URL=settings.default_database_url.replace("+asyncpg", ""),
        AMQP_URL=settings.amqp_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        HEALTH_PORT="0",
        LOG_LEVEL="INFO",
        PAYMENT_LATENCY_MS=str(settings.payment_latency_ms),
        DB_POOL_SIZE="8",
    )
    rows: list[tuple[str, str]] = []
    try:
        rooms = await _hotel(front)
        for kind in KINDS:
            ready_off, exited, placed = await _measure(front, rooms, env, kind, rate, warm_s)
            rows.append((f"hotelbot {' '.join(kind)}", f"not ready after {ms(ready_off)}, exited after {ms(exited)}"))
            print(f"  {' '.join(kind)}: {rows[-1][1]} ({placed} bookings streamed meanwhile)", file=sys.stderr)
    finally:
        await front.stop()
        await api.stop()
    table(f"SIGTERM under a stream of {rate:.0f} bookings/s (after {warm_s:.0f} s of it)", rows)


async def _hotel(front: Runtime) -> list[Any]:
    c = front.container
    hotel = await c.handle(hc.AddHotel(name="Drain Inn", city="Busan", timezone="Asia/Seoul", currency="KRW"))
    await c.handle(hc.GrantManager(hotel_id=hotel.id, user_id=2))
    rooms = []
    for n in range(50):
        room = await c.handle(
            hc.CreateRoom(
                hotel_id=hotel.id, number=str(100 + n), room_type="double", capacity=2, price_per_night=100, actor_id=2
            )
        )
        rooms.append(room)
    # The reservation context learns the rooms from the hotel's events: a consumer of them runs here.
    helper = Runtime(front.settings, bot=False, relay=False, consumers=("reservation",), scheduler=False, migrate=False)
    await helper.start()
    try:
        for room in rooms:
            await _until(lambda room=room: _known(c, room.id))
    finally:
        await helper.stop()
    return rooms


async def _measure(
    front: Runtime, rooms: list[Any], env: dict[str, str], kind: tuple[str, ...], rate: float, warm_s: float
) -> tuple[float, float, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "main.cli",
        *kind,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    port = await _health_port(process)
    lines = asyncio.create_task(_drain_output(process))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        await _until(lambda: _ready(http, port))
        placed = 0
        stop_stream = asyncio.Event()

        async def stream() -> None:
            nonlocal placed
            c = front.container
            day = 0
            while not stop_stream.is_set():
                day += 1
                check_in = c.clock.now().date() + timedelta(days=30 + day + 60 * KINDS.index(kind))
                for room in rooms:
                    if stop_stream.is_set():
                        return
                    await c.handle(
                        PlaceReservation(
                            guest_id=5000 + placed,
                            guest_name="Drain",
                            room_id=room.id,
                            check_in=check_in,
                            check_out=check_in + timedelta(days=1),
                            guests=1,
                        )
                    )
                    placed += 1
                    await asyncio.sleep(1 / rate)

        streaming = asyncio.create_task(stream())
        await asyncio.sleep(warm_s)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        ready_off = float("nan")
        while process.returncode is None:
            if ready_off != ready_off and await _status(http, port) != 200:
                ready_off = time.perf_counter() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(process.wait()), timeout=0.01)
        exited = time.perf_counter() - started
        stop_stream.set()
        await streaming
    await lines
    if process.returncode != 0:
        raise RuntimeError(f"hotelbot {' '.join(kind)} exited with {process.returncode}")
    return (ready_off if ready_off == ready_off else exited), exited, placed


async def _health_port(process: asyncio.subprocess.Process) -> int:
    assert process.stderr is not None
    seen = []
    while line := await asyncio.wait_for(process.stderr.readline(), timeout=120):
        seen.append(line.decode(errors="replace"))
        if found := HEALTH_LINE.search(seen[-1]):
            return int(found.group(1))
    raise RuntimeError("the process logged no health port:\n" + "".join(seen[-20:]))


async def _drain_output(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    while await process.stderr.readline():
        pass


async def _status(http: aiohttp.ClientSession, port: int) -> int:
    try:
        async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def _known(c: Any, room_id: Any) -> bool:
    return await c.availability.room(room_id) is not None


async def _ready(http: aiohttp.ClientSession, port: int) -> bool:
    return await _status(http, port) == 200


async def _until(check: Any, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("not reached in time")
