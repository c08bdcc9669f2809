"""booking, contention and events: the project's own code on the stack under test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.common import cpu_s, ms, pct, pg_transactions, process_cpu_s, servers_cpu_s, table
from bench.guests import Guest
from bench.recording import RecordingRequest
from consumers.notifier import NAME as NOTIFIER
from domain.hotel import commands as hc
from domain.reservation.commands import PlaceReservation
from infra.config import CONTEXTS, Settings
from infra.db.tables import MESSAGING
from main.processes import Runtime, settle_heap

MANAGER = 7


ALL = ("reservation", "hotel", "payment", "view", "notifier")
SPLIT = ("reservation", "hotel", "payment", "view")
_children: dict[str, asyncio.subprocess.Process] = {}  # consumer name: its process
_stand_ins: list[Any] = []


async def start(
    settings: Settings, split: bool = False, notifier_apart: bool = False, **child_env: str
) -> tuple[Runtime, RecordingRequest]:
    """The bot (fed updates directly), the relay and the consumers. With `split` (RabbitMQ only)
    the four transactional consumers run as processes of their own (`hotelbot consume <name>`,
    with `child_env` added to their environment), as in a real deployment; the notifier stays
    here, where its bot answers through the recording request, unless `notifier_apart`: then it
    is a process of its own too, telling Telegram's stand-in (tests/botapi.py) in this process."""
    request = RecordingRequest()
    split = split and settings.amqp_url is not None
    apart = (*SPLIT, *(("notifier",) if notifier_apart else ())) if split else ()
    here = tuple(name for name in ALL if name not in apart)
    runtime = Runtime(settings, bot=False, scheduler=False, consumers=here, request=request, relay_sweep_s=1)
    await runtime.start()
    if apart:
        env = {
            **os.environ,
            "DATABASE_URL": settings.default_database_url,
            "AMQP_URL": settings.amqp_url or "",
            "AMQP_EXCHANGE": settings.amqp_exchange,
            "AMQP_QUEUE_PREFIX": settings.amqp_queue_prefix,
            "LOG_LEVEL": "WARNING",
            "PAYMENT_LATENCY_MS": str(settings.payment_latency_ms),
            "DB_POOL_SIZE": "10",
            "HEALTH_PORT": "0",  # one each
            **child_env,
        }
        if notifier_apart:
            from tests.botapi import FakeBotApi  # a tool beside the product, like this benchmark

            telegram = FakeBotApi(settings.telegram_bot_token or "")
            await telegram.start()
            _stand_ins.append(telegram)
            env.update(TELEGRAM_API_BASE_URL=telegram.base_url, TELEGRAM_BOT_TOKEN=telegram.token)
        for name in apart:
            _children[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "main.cli", "consume", name, env=env
            )
    if runtime.application is not None:
        await runtime.application.start()  # process updates from the queue; nothing is polled
    settle_heap()  # as `hotelbot run` does once started
    return runtime, request


async def stop(runtime: Runtime) -> None:
    if runtime.application is not None:
        await runtime.application.stop()
    await runtime.stop()
    gc.unfreeze()  # the next benchmark starts a runtime of its own: this one may be collected
    for child in _children.values():
        with contextlib.suppress(ProcessLookupError):  # one that could not start has gone already
            child.terminate()
    for child in _children.values():
        await asyncio.wait_for(child.wait(), timeout=30)
    _children.clear()
    for telegram in _stand_ins:
        await telegram.stop()
    _stand_ins.clear()


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
    floor_work: tuple[float, float, float, float] | None = None,
) -> dict[str, float]:
    """`floor_work`: PostgreSQL transactions, Bot API calls, this process's CPU and PostgreSQL's
    CPU an update of raw (c), to set the bot's own beside them."""
    rooms = 20  # the guest sees at most 20 free rooms, cheapest first
    runtime, request = await start(settings, split)
    try:
        created = await hotel_with_rooms(runtime, rooms)
        work = await _work(settings, request)  # the setup's last few unreported: noise beside the run
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

        servers = servers_cpu_s()  # read before the clock starts: it walks /proc
        started, cpu_started = time.perf_counter(), cpu_s()
        await asyncio.gather(*(one(i) for i in range(guests)))
        elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
        pg_cpu = servers_cpu_s()["PostgreSQL"] - servers["PostgreSQL"]
        calls = request.calls - work[1]
        for error in errors[:3]:
            print(f"a guest could not finish: {error!r}"[:600])
    finally:
        await stop(runtime)
    after, _ = await _work(settings, request, settle=True)
    rate = len(latencies) / elapsed
    updates = max(1, len(latencies) * 6)
    cpus = (cpu / updates, pg_cpu / updates)
    rows = [
        ("guests, concurrent", f"{guests}, {concurrency}"),
        ("pause before each message or tap", f"{think_s:g} s (±50%)" if think_s else "none: back-to-back"),
        ("completed bookings", f"{len(latencies)} (failed {failures}) in {elapsed:.1f} s"),
        ("bookings/s (whole conversation: 6 updates)", f"{rate:,.1f}"),
        ("confirm → receipt p50 / p99", f"{ms(pct(latencies, 50))} / {ms(pct(latencies, 99))}"),
        ("bot updates/s", f"{rate * 6:,.0f}"),
        (
            "its CPU an update: this process (its consumers and relay too) / PostgreSQL",
            f"{cpus[0] * 1000:.2f} / {cpus[1] * 1000:.2f} ms",
        ),
    ]
    if raw_tx:
        rows.append(("ratio to raw (a)", f"{rate / raw_tx:.1%}"))
    if floor:
        rows.append(("bot updates/s, ratio to raw (c) the plain Application", f"{rate * 6 / floor:.1%}"))
    if after is not None and work[0] is not None:
        mine = ((after - work[0]) / updates, calls / updates)
        rows.append(("its work an update (every process): PG transactions / Bot API calls", _pair(mine)))
        if floor_work and all(floor_work):
            times = f"{mine[0] / floor_work[0]:.1f}× / {mine[1] / floor_work[1]:.1f}×"
            rows.append(("the same, as many times raw (c)'s", times))
    if floor_work and all(floor_work):
        times = f"{cpus[0] / floor_work[2]:.1f}× / {cpus[1] / floor_work[3]:.1f}×"
        rows.append(("its CPU an update, as many times raw (c)'s", times))
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
        if settings.default_database_url.startswith("postgresql"):
            # every backend has reported the screens' transactions: one idle since its last report
            # less than a second before reports 10 s later
            await asyncio.sleep(10.5)
        work = await _work(settings, request)
        cpu_started = _cpu()
        answers = await asyncio.gather(
            *(g.press(confirm, pay) for g, (confirm, pay) in zip(people, screens, strict=True))
        )
        cpu = _cpu() - cpu_started
        calls = request.calls - work[1]
    finally:
        await stop(runtime)
    after, _ = await _work(settings, request, settle=True)
    times = [answered - pressed for pressed, answered, _ in answers]
    won = sum(1 for *_, p in answers if "Paid" in p.get("text", ""))
    taken = sum(
        1 for *_, p in answers if "just been taken" in p.get("text", "") or "No room is free" in p.get("text", "")
    )
    rows = [
        ("guests", str(guests)),
        ("booked / told it is taken / other", f"{won} / {taken} / {guests - won - taken}"),
        ("answer time p50 / p99 / max", f"{ms(pct(times, 50))} / {ms(pct(times, 99))} / {ms(max(times))}"),
        ("CPU per answer (every process of the run)", ms(cpu / guests)),
    ]
    if after is not None and work[0] is not None:
        mine = ((after - work[0]) / guests, calls / guests)
        rows.append(("its work an answer (every process): PG transactions / Bot API calls", _pair(mine)))
    table("contention: guests confirm the same room-night at once", rows)
    return {"won": won, "taken": taken, "p99": pct(times, 99)}


async def events(
    settings: Settings,
    raw_consume: float | None,
    raw_tx: float | None = None,
    steady_rate: int = 100,
    seconds: int = 10,
    burst: int = 1500,
    warmup_s: int = 2,
    split: bool = False,
) -> dict[str, float]:
    """Steady: bookings placed at `steady_rate`/s while the pipeline runs; lag is measured where the
    view takes the event, for events of the `seconds` after a warm-up of `warmup_s` at the same
    rate (the pools open their connections and prepare their statements: reported apart, not counted).
    Full speed: `burst` bookings committed while the relay is held, then released: the
    pipeline's own rate, outbox to every consumer.

    With `split` (RabbitMQ only) the reservation, hotel, payment, view and notifier consumers run
    as processes of their own, as deployed (deploy/k8s: one Deployment each), each with its relay
    for the events its commits write; placing the bookings (a bot's work) and its relay stay here.

    Everything is read from the databases, so it is the same whichever process did the work:
    deliveries are the consumers' inbox rows; a lag runs from the event's outbox row to the view's
    inbox row (stamped as the view's transaction applies the batch, which commits right after).
    Deliveries are counted for the four transactional consumers; the notifier is counted apart,
    since what it does is bounded by Telegram's ~30 messages/s per bot, which it keeps to."""
    split = split and settings.amqp_url is not None
    # The consumers' relays publish their own commits at once and never sweep up the outboxes the
    # full-speed phase holds back (in a deployment the standalone relay process sweeps).
    runtime, _ = await start(settings, split, notifier_apart=True, RELAY_SWEEP_S="3600")
    c = runtime.container
    results: dict[str, dict[str, float]] = {}
    busy: dict[str, str] = {}  # each process's share of a core, in each phase
    try:
        rooms = await hotel_with_rooms(runtime, 50)
        placed = 0

        async def place() -> None:
            nonlocal placed
            i, placed = placed, placed + 1
            room = rooms[i % len(rooms)]
            check_in, check_out = _dates(runtime, 30 + i // len(rooms))
            await c.handle(
                PlaceReservation(
                    guest_id=30_000 + i,
                    guest_name="B",
                    room_id=room.id,
                    check_in=check_in,
                    check_out=check_out,
                    guests=1,
                )
            )

        async def settled(since: datetime, expected: int) -> float:
            deadline = time.perf_counter() + 300
            # counted in the database, where other processes' work shows too
            while await _deliveries(c, since) < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            return time.perf_counter()

        # placed → hotel and view, payment approved → view (approval requested → notifier only)
        per_booking = 3

        since = datetime.now(UTC)
        started, warm_from, cpu_started = time.perf_counter(), since + timedelta(seconds=warmup_s), _cpu()
        each_started = _spent()
        tasks = []
        count = steady_rate * (warmup_s + seconds)
        for i in range(count):
            tasks.append(asyncio.create_task(place()))
            await asyncio.sleep(max(0.0, started + (i + 1) / steady_rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        placed_in = time.perf_counter() - started
        busy["steady"] = _shares(each_started, placed_in)  # how busy each process was while the bookings came
        await settled(since, count * per_booking)
        steady_cpu = (_cpu() - cpu_started) / count
        lags = await _view_lags(c, since)
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

        burst_since = datetime.now(UTC)
        async with runtime.relay.held():  # nothing leaves the outbox until the burst is in
            await asyncio.gather(*(limited() for _ in range(burst)))
        print(f"events: {burst} bookings in the outbox; draining", file=sys.stderr, flush=True)
        started, cpu_started, each_started = time.perf_counter(), _cpu(), _spent()
        runtime.relay.wake()
        done = await settled(burst_since, burst * per_booking)
        cpu = _cpu() - cpu_started
        busy["full speed"] = _shares(each_started, done - started)
        delivered = await _deliveries(c, burst_since)
        results["full speed"] = {
            "count": burst,
            "deliveries": delivered / (done - started),
            "bookings": burst / (done - started),
            "events": 2 * burst / (done - started),
            "notifier": await _notes(c, burst_since) / (done - started),
            "cpu": cpu / max(1, delivered),
        }
    finally:
        await stop(runtime)
    s, f = results["steady"], results["full speed"]
    where = "every process" if split else "this process"
    rows = [
        ("steady: bookings placed", f"{s['count']:.0f} at {steady_rate}/s, after {warmup_s} s of warm-up"),
        ("steady: event → view lag p50 / p99", f"{ms(s['p50'])} / {ms(s['p99'])}"),
        ("steady: lag p99 during the warm-up (not counted)", ms(s["cold p99"])),
        (f"steady: CPU of {where} per booking (placing it, every consumer)", ms(s["cpu"])),
        ("steady: share of a core, by process", busy["steady"]),
        ("full speed: backlog drained (bookings)", f"{f['count']} (2 events each)"),
        ("full speed: events published → consumed/s", f"{f['events']:,.0f}"),
        ("full speed: bookings drained/s (every delivery of each applied)", f"{f['bookings']:,.0f}"),
        ("full speed: deliveries/s (reservation, hotel, payment, view: 3 a booking)", f"{f['deliveries']:,.0f}"),
        ("full speed: notifier deliveries answered/s (sends kept to ~30/s)", f"{f['notifier']:,.0f}"),
        (f"full speed: CPU of {where} per delivery (relay, notifier too)", ms(f["cpu"])),
        ("full speed: share of a core, by process", busy["full speed"]),
    ]
    if raw_consume:
        rows.append(("full speed: deliveries, ratio to raw (b) consume", f"{f['deliveries'] / raw_consume:.1%}"))
    if raw_tx:  # every delivery is applied in a PostgreSQL transaction (up to 64 share one)
        rows.append(("full speed: deliveries, ratio to raw (a) transactions", f"{f['deliveries'] / raw_tx:.1%}"))
    layout = "consumers in 5 processes of their own" if split else "all in one process"
    table(f"events: outbox → relay → bus → consumers → view ({layout})", rows)
    return {"steady p99": s["p99"], "deliveries": f["deliveries"]}


async def _work(settings: Settings, request: RecordingRequest, settle: bool = False) -> tuple[int | None, int]:
    """PostgreSQL transactions so far in the run's database (None on SQLite) and Bot API calls."""
    url = settings.default_database_url
    transactions = await pg_transactions(url, settle) if url.startswith("postgresql") else None
    return transactions, request.calls


def _pair(values: tuple[float, float]) -> str:
    return f"{values[0]:.2f} / {values[1]:.2f}"


def _cpu() -> float:
    """CPU used so far by this process and the consumer processes it started."""
    return sum(_cpu_by_process().values())


def _cpu_by_process() -> dict[str, float]:
    return {"this process": cpu_s(), **{name: process_cpu_s(child.pid) for name, child in _children.items()}}


def _spent() -> dict[str, float]:
    """CPU used so far by this process, the consumer processes it started, PostgreSQL and RabbitMQ."""
    return {**_cpu_by_process(), **servers_cpu_s()}


def _shares(since: dict[str, float], seconds: float) -> str:
    """Each one's share of a core since `since` (a `_spent()`), over `seconds` of wall time."""
    now = _spent()
    return ", ".join(f"{name} {(now[name] - spent) / seconds:.0%}" for name, spent in since.items())


async def _deliveries(c: Any, since: datetime) -> int:
    """Deliveries the four transactional consumers have applied since `since`: their inbox rows
    (counted by the index on processed_at, so that asking every 50 ms costs the database little)."""
    total = 0
    for context in CONTEXTS:
        inbox = MESSAGING[context].inbox
        query = select(func.count()).where(inbox.c.processed_at >= since, inbox.c.consumer != NOTIFIER)
        async with c.engine(context).connect() as conn:
            total += int(await conn.scalar(query) or 0)
    return total


async def _notes(c: Any, since: datetime) -> int:
    """Deliveries the notifier has answered since `since` (its inbox rows are in the hotel context's inbox)."""
    inbox = MESSAGING["hotel"].inbox
    query = select(func.count()).where(inbox.c.processed_at >= since, inbox.c.consumer == NOTIFIER)
    async with c.engine("hotel").connect() as conn:
        return int(await conn.scalar(query) or 0)


async def _view_lags(c: Any, since: datetime) -> list[tuple[datetime, float]]:
    """(written to an outbox at, seconds until the view took it) for the view's deliveries since `since`."""
    inbox = MESSAGING["view"].inbox
    async with c.engine("view").connect() as conn:
        taken = dict(
            (
                await conn.execute(
                    select(inbox.c.event_id, inbox.c.processed_at).where(
                        inbox.c.consumer == "view", inbox.c.processed_at >= since
                    )
                )
            ).all()
        )
    lags: list[tuple[datetime, float]] = []
    for context in CONTEXTS:
        outbox = MESSAGING[context].outbox
        async with c.engine(context).connect() as conn:
            rows = await conn.execute(
                select(outbox.c.event_id, outbox.c.created_at).where(outbox.c.created_at >= since)
            )
            lags.extend(
                (written, (taken[event_id] - written).total_seconds())
                for event_id, written in rows
                if event_id in taken
            )
    return lags
