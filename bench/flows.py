"""booking, contention and events: the project's own code on the stack under test."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import sys
import time
from datetime import timedelta
from typing import Any

from bench.common import cpu_s, ms, pct, table
from bench.guests import Guest
from bench.recording import RecordingRequest
from domain.hotel import commands as hc
from domain.reservation.commands import PlaceReservation
from infra.config import Settings
from infra.messaging.consumer import Consumer
from main.processes import Runtime, settle_heap

MANAGER = 7


ALL = ("reservation", "hotel", "payment", "view", "notifier")
SPLIT = ("reservation", "hotel", "payment", "view")
_children: list[asyncio.subprocess.Process] = []


async def start(settings: Settings, split: bool = False) -> tuple[Runtime, RecordingRequest]:
    """The bot (fed updates directly), the relay and the consumers. With `split` (RabbitMQ only)
    the four transactional consumers run as processes of their own, as in a real deployment; the
    notifier stays here, where its bot answers through the recording request."""
    request = RecordingRequest()
    here = ALL if not (split and settings.amqp_url) else ("notifier",)
    runtime = Runtime(settings, bot=False, scheduler=False, consumers=here, request=request, relay_sweep_s=1)
    await runtime.start()
    if here != ALL:
        env = {
            **os.environ,
            "DATABASE_URL": settings.default_database_url,
            "AMQP_URL": settings.amqp_url or "",
            "LOG_LEVEL": "WARNING",
            "PAYMENT_LATENCY_MS": str(settings.payment_latency_ms),
            "DB_POOL_SIZE": "10",
        }
        for name in SPLIT:
            _children.append(
                await asyncio.create_subprocess_exec(sys.executable, "-m", "main.cli", "consume", name, env=env)
            )
    await runtime.application.start()  # process updates from the queue; nothing is polled
    settle_heap()  # as `hotelbot run` does once started
    return runtime, request


async def stop(runtime: Runtime) -> None:
    await runtime.application.stop()
    await runtime.stop()
    gc.unfreeze()  # the next benchmark starts a runtime of its own: this one may be collected
    for child in _children:
        child.terminate()
    for child in _children:
        await asyncio.wait_for(child.wait(), timeout=30)
    _children.clear()


async def hotel_with_rooms(runtime: Runtime, rooms: int) -> list[Any]:
    c = runtime.container
    hotel = await c.handle(hc.AddHotel(name="Bench Inn", city="Busan", timezone="Asia/Seoul", currency="EUR"))
    await c.handle(hc.GrantManager(hotel_id=hotel.id, user_id=MANAGER))
    created = [
        await c.handle(
            hc.CreateRoom(
                hotel_id=hotel.id, number=f"{100 + n}", room_type="double", capacity=2, price_per_night=10_000
            )
        )
        for n in range(rooms)
    ]
    for _ in range(600):  # the rooms reach the reservation context through the bus
        if len(await c.availability.free_rooms(hotel.id, *_dates(runtime, 0), 1)) == rooms:
            return created
        await asyncio.sleep(0.05)
    raise RuntimeError("rooms never reached the catalog")


def _dates(runtime: Runtime, block: int) -> tuple[Any, Any]:
    check_in = runtime.container.clock.now().date() + timedelta(days=7 + 2 * block)
    return check_in, check_in + timedelta(days=1)


async def booking(
    settings: Settings,
    guests: int,
    concurrency: int,
    raw_tx: float | None,
    split: bool = False,
    think_s: float = 0.0,
    floor: float | None = None,
) -> dict[str, float]:
    rooms = 20  # the guest sees at most 20 free rooms, cheapest first
    runtime, request = await start(settings, split)
    try:
        created = await hotel_with_rooms(runtime, rooms)
        semaphore = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        failures = 0

        errors: list[BaseException] = []

        async def one(i: int) -> None:
            nonlocal failures
            async with semaphore:
                guest = Guest(runtime.application, request, 10_000 + i, think_s)
                room = created[i % rooms]
                try:
                    confirm, pay = await guest.up_to_confirm(*_dates(runtime, i // rooms), room.number)
                    pressed, answered, params = await guest.press(confirm, pay)
                except (TimeoutError, LookupError) as exc:
                    errors.append(exc)
                    failures += 1
                    return
                if "Paid" in params.get("text", ""):
                    latencies.append(answered - pressed)
                else:
                    failures += 1

        started, cpu_started = time.perf_counter(), cpu_s()
        await asyncio.gather(*(one(i) for i in range(guests)))
        elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
        for error in errors[:3]:
            print(f"a guest could not finish: {error!r}"[:600])
    finally:
        await stop(runtime)
    rate = len(latencies) / elapsed
    rows = [
        ("guests, concurrent", f"{guests}, {concurrency}"),
        ("pause before each message or tap", f"{think_s:g} s (±50%)" if think_s else "none: back-to-back"),
        ("completed bookings", f"{len(latencies)} (failed {failures}) in {elapsed:.1f} s"),
        ("bookings/s (whole conversation: 6 updates)", f"{rate:,.1f}"),
        ("confirm → receipt p50 / p99", f"{ms(pct(latencies, 50))} / {ms(pct(latencies, 99))}"),
        ("bot updates/s", f"{rate * 6:,.0f}"),
        ("CPU of this process per update (its consumers and relay too)", ms(cpu / max(1, len(latencies) * 6))),
    ]
    if raw_tx:
        rows.append(("ratio to raw (a)", f"{rate / raw_tx:.1%}"))
    if floor:
        rows.append(("bot updates/s, ratio to raw (c) the plain Application", f"{rate * 6 / floor:.1%}"))
    where = "consumers in 4 processes of their own" if split and settings.amqp_url else "all in one process"
    table(f"booking: simulated guests through the real bot handlers ({where})", rows)
    return {"rate": rate, "p50": pct(latencies, 50), "p99": pct(latencies, 99)}


async def contention(settings: Settings, guests: int = 200, split: bool = False) -> dict[str, float]:
    runtime, request = await start(settings, split)
    try:
        (room,) = await hotel_with_rooms(runtime, 1)
        people = [Guest(runtime.application, request, 20_000 + i) for i in range(guests)]
        dates = _dates(runtime, 0)
        screens = await asyncio.gather(*(g.up_to_confirm(*dates, room.number) for g in people))
        answers = await asyncio.gather(
            *(g.press(confirm, pay) for g, (confirm, pay) in zip(people, screens, strict=True))
        )
    finally:
        await stop(runtime)
    times = [answered - pressed for pressed, answered, _ in answers]
    won = sum(1 for *_, p in answers if "Paid" in p.get("text", ""))
    taken = sum(
        1 for *_, p in answers if "just been taken" in p.get("text", "") or "No room is free" in p.get("text", "")
    )
    table(
        "contention: guests confirm the same room-night at once",
        [
            ("guests", str(guests)),
            ("booked / told it is taken / other", f"{won} / {taken} / {guests - won - taken}"),
            ("answer time p50 / p99 / max", f"{ms(pct(times, 50))} / {ms(pct(times, 99))} / {ms(max(times))}"),
        ],
    )
    return {"won": won, "taken": taken, "p99": pct(times, 99)}


async def events(
    settings: Settings,
    raw_consume: float | None,
    raw_tx: float | None = None,
    steady_rate: int = 100,
    seconds: int = 10,
    burst: int = 1500,
    warmup_s: int = 2,
) -> dict[str, float]:
    """Steady: bookings placed at `steady_rate`/s while the pipeline runs; lag is measured where the
    view commits, for events of the `seconds` after a warm-up of `warmup_s` at the same rate (the
    pools open their connections and prepare their statements: reported apart, not counted).
    Full speed: `burst` bookings committed while the relay is held, then released: the
    pipeline's own rate, outbox to every consumer, with nothing else in the process.

    Deliveries are counted for the four transactional consumers; the notifier is counted apart,
    since what it does is bounded by Telegram's ~30 messages/s per bot, which it keeps to."""
    runtime, _ = await start(settings)
    lags: list[tuple[float, float]] = []  # (event occurred at, lag)
    results: dict[str, dict[str, float]] = {}
    try:
        rooms = await hotel_with_rooms(runtime, 50)
        for holder in [*runtime.runners, runtime.bus]:
            if holder is None:
                continue
            consumers = holder.consumers if hasattr(holder, "consumers") else [holder.consumer]
            for consumer in consumers:
                _instrument(holder, consumer, lags)
        placed = 0

        async def place() -> None:
            nonlocal placed
            i, placed = placed, placed + 1
            room = rooms[i % len(rooms)]
            check_in, check_out = _dates(runtime, 30 + i // len(rooms))
            await runtime.container.handle(
                PlaceReservation(
                    guest_id=30_000 + i,
                    guest_name="B",
                    room_id=room.id,
                    check_in=check_in,
                    check_out=check_out,
                    guests=1,
                )
            )

        async def settled(expected: int) -> float:
            deadline = time.perf_counter() + 300
            while _pipeline() < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            return time.perf_counter()

        # placed → hotel and view, payment approved → view, approval requested → view (and → notifier)
        per_booking = 4

        lags.clear()
        before = _pipeline()
        started, warm_from, cpu_started = time.perf_counter(), time.time() + warmup_s, cpu_s()
        tasks = []
        count = steady_rate * (warmup_s + seconds)
        for i in range(count):
            tasks.append(asyncio.create_task(place()))
            await asyncio.sleep(max(0.0, started + (i + 1) / steady_rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        await settled(before + count * per_booking)
        steady_cpu = (cpu_s() - cpu_started) / count
        warm = [lag for at, lag in lags if at >= warm_from]
        cold = [lag for at, lag in lags if at < warm_from]
        results["steady"] = {
            "count": steady_rate * seconds,
            "p50": pct(warm, 50),
            "p99": pct(warm, 99),
            "cold p99": pct(cold, 99),
            "cpu": steady_cpu,
        }

        assert runtime.relay is not None, "the events benchmark needs the relay in this process"
        semaphore = asyncio.Semaphore(64)

        async def limited() -> None:
            async with semaphore:
                await place()

        before, notes_before = _pipeline(), _counter.get("notifier", 0)
        async with runtime.relay._draining:  # nothing leaves the outbox until the burst is in
            await asyncio.gather(*(limited() for _ in range(burst)))
        print(f"events: {burst} bookings in the outbox; draining", file=sys.stderr, flush=True)
        lags.clear()
        started, cpu_started = time.perf_counter(), cpu_s()
        runtime.relay.wake()
        done = await settled(before + burst * per_booking)
        cpu = cpu_s() - cpu_started
        results["full speed"] = {
            "count": burst,
            "deliveries": (_pipeline() - before) / (done - started),
            "events": 2 * burst / (done - started),
            "notifier": (_counter.get("notifier", 0) - notes_before) / (done - started),
            "cpu": cpu / max(1, _pipeline() - before),
        }
    finally:
        await stop(runtime)
    s, f = results["steady"], results["full speed"]
    rows = [
        ("steady: bookings placed", f"{s['count']:.0f} at {steady_rate}/s, after {warmup_s} s of warm-up"),
        ("steady: event → view lag p50 / p99", f"{ms(s['p50'])} / {ms(s['p99'])}"),
        ("steady: lag p99 during the warm-up (not counted)", ms(s["cold p99"])),
        ("steady: CPU of this process per booking (placing it, every consumer)", ms(s["cpu"])),
        ("full speed: backlog drained (bookings)", f"{f['count']} (2 events each)"),
        ("full speed: events published → consumed/s", f"{f['events']:,.0f}"),
        ("full speed: deliveries/s (reservation, hotel, payment, view)", f"{f['deliveries']:,.0f}"),
        ("full speed: notifier messages/s (Telegram allows ~30)", f"{f['notifier']:,.0f}"),
        ("full speed: CPU of this process per delivery (relay, notifier too)", ms(f["cpu"])),
    ]
    if raw_consume:
        rows.append(("full speed: deliveries, ratio to raw (b) consume", f"{f['deliveries'] / raw_consume:.1%}"))
    if raw_tx:  # every delivery is applied in a PostgreSQL transaction (up to 64 share one)
        rows.append(("full speed: deliveries, ratio to raw (a) transactions", f"{f['deliveries'] / raw_tx:.1%}"))
    table("events: outbox → relay → bus → consumers → view", rows)
    return {"steady p99": s["p99"], "deliveries": f["deliveries"]}


def _pipeline() -> int:
    return sum(n for name, n in _counter.items() if name != "notifier")


_counter: dict[str, int] = {}


def _instrument(holder: Any, consumer: Consumer, lags: list[tuple[float, float]]) -> None:
    original, original_batch = consumer.handle, consumer.handle_batch

    def handled(events: list[Any]) -> None:
        _counter[consumer.name] = _counter.get(consumer.name, 0) + len(events)
        if consumer.name == "view":
            now = time.time()
            lags.extend((event.occurred_at.timestamp(), now - event.occurred_at.timestamp()) for event in events)

    async def timed(event: Any) -> None:
        await original(event)
        handled([event])

    async def timed_batch(events: list[Any]) -> None:
        assert original_batch is not None
        await original_batch(events)
        handled(events)

    patched = dataclasses.replace(consumer, handle=timed, handle_batch=timed_batch if original_batch else None)
    if hasattr(holder, "consumers"):
        holder.consumers[holder.consumers.index(consumer)] = patched
    else:
        holder.consumer = patched
