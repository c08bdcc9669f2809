"""`hotelbot bench replicas`: booking throughput with one and with two `hotelbot bot` replicas in
webhook mode on PostgreSQL + RabbitMQ.

Guests of the Bot API stand-in (tests/botapi.py) go through the whole booking conversation
(/book, check-in, check-out, guests, room, pay; each waits for the bot's answer before the next
tap). Telegram's webhook delivery is played by tests/ops/webhook.py (one chat's updates one after
another) through a round-robin proxy to the replicas. Each replica keeps every user's state in the
database per update (a PostgreSQL advisory lock per user while an update runs). Measured: bookings
completed per second of wall time, from the first guest's /book to the last receipt.

Everything shares the machine: this process (the stand-in, the proxy, the guests), the replicas,
PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import bench_settings, describe, ms, pct, process_cpu_s, table
from infra.config import Settings
from main.processes import Runtime

TOKEN = "123456:BENCH-TOKEN"
SECRET = "bench-replicas-secret"
ROOMS = 20  # the guest sees at most 20 free rooms


async def run(tmp: str, guests: int, concurrency: int) -> None:
    rows: list[tuple[str, str]] = []
    for replicas in (1, 2):
        settings = await bench_settings("pg", tmp)
        if replicas == 1:
            print(f"\nsettings: {describe(settings)}")
        m = await _measure(settings, replicas, guests, concurrency)
        shares = " + ".join(f"{cpu:.1f}" for cpu in m["bot_cpu"])
        rows.append(
            (
                f"{replicas} replica{'s' if replicas > 1 else ''}",
                f"{m['rate']:,.1f} bookings/s ({m['updates']:,.0f} updates/s); a tap answered p50 "
                f"{ms(m['p50'])}, p99 {ms(m['p99'])}; failed {m['failed']:.0f}; bot CPU {shares} s "
                f"= {sum(m['bot_cpu']) / m['done'] * 1000:.0f} ms a booking; this process (guests, "
                f"Bot API, proxy) {m['harness_cpu']:.1f} s CPU in {m['elapsed']:.1f} s",
            )
        )
        print(f"  {rows[-1][0]}: {rows[-1][1]}", file=sys.stderr)
    table(f"replicas: {guests} guests, {concurrency} at a time, each a whole booking over the webhook", rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _measure(settings: Settings, replicas: int, guests: int, concurrency: int) -> dict[str, Any]:
    # The stand-ins are tools beside the product, like this benchmark.
    from tests.botapi import FakeBotApi
    from tests.ops.helpers import Process
    from tests.ops.webhook import RoundRobinProxy, TelegramWebhook

    api = FakeBotApi(TOKEN)
    await api.start()
    proxy = RoundRobinProxy()
    await proxy.start()
    telegram = TelegramWebhook(api, SECRET)
    await telegram.start()
    processes: list[Any] = []
    try:
        rooms, today = await _hotel(settings)
        assert settings.amqp_url is not None
        env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
        env.update(
            DATABASE_URL=settings.default_database_url.replace("+asyncpg", ""),
            AMQP_URL=settings.amqp_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            WEBHOOK_URL=f"{proxy.url}/telegram",
            WEBHOOK_SECRET=SECRET,
            API_HOST="127.0.0.1",
            LOG_LEVEL="INFO",  # the health port is logged at INFO
            PAYMENT_LATENCY_MS=str(settings.payment_latency_ms),
            DB_POOL_SIZE="16",
        )
        for _ in range(replicas):
            port = _free_port()
            process = await Process.start(Path.cwd(), {**env, "API_PORT": str(port)}, "bot")
            processes.append(process)
            await process.ready()
            proxy.upstreams.append(f"http://127.0.0.1:{port}")
        semaphore = asyncio.Semaphore(concurrency)
        taps: list[float] = []
        failed = 0

        async def one(i: int) -> None:
            nonlocal failed
            async with semaphore:
                guest = api.user(100_000 + i, f"Guest {i}")
                check_in = today + timedelta(days=3 + i // ROOMS)
                try:
                    await _book(guest, check_in, rooms[i % ROOMS], taps)
                except AssertionError as exc:
                    failed += 1
                    if failed <= 3:
                        print(f"a guest could not finish: {exc}"[:600], file=sys.stderr)

        cpu_before = [process_cpu_s(p.process.pid) for p in processes]
        started, harness_before = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(guests)))
        elapsed, harness_cpu = time.perf_counter() - started, time.process_time() - harness_before
        bot_cpu = [process_cpu_s(p.process.pid) - before for p, before in zip(processes, cpu_before, strict=True)]
        delivered = len(telegram.delivered)
    finally:
        for process in processes:
            await process.stop()
        await telegram.stop()
        await proxy.stop()
        await api.stop()
    done = guests - failed
    return {
        "rate": done / elapsed,
        "updates": delivered / elapsed,
        "p50": pct(taps, 50),
        "p99": pct(taps, 99),
        "failed": failed,
        "done": max(done, 1),
        "bot_cpu": bot_cpu,
        "harness_cpu": harness_cpu,
        "elapsed": elapsed,
    }


async def _hotel(settings: Settings) -> tuple[list[str], Any]:
    from domain.hotel import commands as hc

    rest = Runtime(settings, bot=False, consumers=("reservation",), scheduler=False, relay_sweep_s=0.5)
    await rest.start()
    try:
        c = rest.container
        hotel = await c.handle(hc.AddHotel(name="Bench Inn", city="Busan", timezone="Asia/Seoul", currency="EUR"))
        await c.handle(hc.GrantManager(hotel_id=hotel.id, user_id=7))
        numbers = [str(100 + n) for n in range(ROOMS)]
        for number in numbers:
            await c.handle(
                hc.CreateRoom(hotel_id=hotel.id, number=number, room_type="double", capacity=2, price_per_night=10_000)
            )
        today = c.clock.now().date()
        for _ in range(600):  # the rooms reach the reservation context through the bus
            free = await c.availability.free_rooms(hotel.id, today + timedelta(days=3), today + timedelta(days=4), 1)
            if len(free) == ROOMS:
                return numbers, today
            await asyncio.sleep(0.05)
        raise RuntimeError("rooms never reached the catalog")
    finally:
        await rest.stop()


async def _book(guest: Any, check_in: Any, room: str, taps: list[float]) -> None:
    from tests.e2e.conftest import pick_day, say, tap

    async def timed(step: Any) -> Any:
        started = time.perf_counter()
        result = await step
        taps.append(time.perf_counter() - started)
        return result

    calendar = await timed(say(guest, "/book", "pick your check-in day", timeout=60))
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=1), "How many guests")
    rooms = await timed(tap(guest, ask, "2", "Free from", timeout=60))
    confirm = await timed(tap(guest, rooms, room, "Please check", timeout=60))
    await timed(tap(guest, confirm, "Pay", "Paid — thank you!", timeout=60))
