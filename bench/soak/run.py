"""`python -m bench soak --minutes N --seed S`: the split deployment on a PostgreSQL cluster and a
RabbitMQ node of its own, scripted guests and managers, a fault every 20-40 s (kill -9 or SIGTERM
of a process, then started again; broker restart; database restart), then quiet, the promises
checked and printed as a table. Exit code 1 if any promise is broken."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from bench.soak import invariants as inv
from bench.soak.actors import Chats, Guests, Managers, Script
from bench.soak.cluster import Postgres, RabbitMQ
from bench.soak.fleet import Fleet, Stop
from domain.hotel import commands as hc
from infra.config import load_settings
from infra.db import migrate as migrations
from tests.botapi import FakeBotApi  # the Bot API stand-in: a tool beside the product, like this soak

TOKEN = "123456:SOAK-TOKEN"
MANAGERS = (501, 502)
ROOMS = 10
TZ = "Asia/Seoul"


@dataclass
class Fault:
    at: float
    kind: str
    target: str
    note: str = ""


async def _seed(db_url: str, amqp_url: str) -> None:
    from main.bootstrap import Container

    settings = load_settings(_env_file=None, database_url=db_url, amqp_url=amqp_url, log_level="WARNING")
    await migrations.upgrade(settings)
    c = Container(settings)
    try:
        hotel = await c.handle(hc.AddHotel(name="Soak Inn", city="Busan", timezone=TZ, currency="KRW"))
        for manager in MANAGERS:
            await c.handle(hc.GrantManager(hotel_id=hotel.id, user_id=manager))
        for n in range(ROOMS):
            await c.handle(
                hc.CreateRoom(
                    hotel_id=hotel.id,
                    number=str(101 + n),
                    room_type="double",
                    capacity=2,
                    price_per_night=50_000,
                    actor_id=MANAGERS[0],
                )
            )
    finally:
        await c.close()


async def _scalar(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _until(check: object, timeout_s: float, what: str) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():  # type: ignore[operator]
                return True
        await asyncio.sleep(1)
    print(f"soak: {what} not reached in {timeout_s:.0f} s", file=sys.stderr, flush=True)
    return False


class Soak:
    def __init__(self, minutes: float, seed: int, guests: int, think_s: float, root: Path) -> None:
        self.minutes, self.seed, self.guests, self.think_s, self.root = minutes, seed, guests, think_s, root
        self.rng = random.Random(seed)  # the faults: the same schedule for the same seed
        self.people_rng = random.Random(seed + 1)  # the guests' and managers' choices
        self.pg = Postgres(root)
        self.rabbit = RabbitMQ(root)
        self.api = FakeBotApi(TOKEN)
        self.faults: list[Fault] = []
        self.fleet: Fleet | None = None
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f} s] {line}", file=sys.stderr, flush=True)

    async def run(self) -> int:
        try:
            return await self._run()
        finally:
            if self.fleet is not None:
                await self.fleet.kill_all()
            await self.api.stop()
            await asyncio.to_thread(self.rabbit.stop)
            await asyncio.to_thread(self.pg.stop)

    async def _run(self) -> int:
        await asyncio.to_thread(self.pg.start)
        await asyncio.to_thread(self.rabbit.start)
        await self.api.start()
        self.say(
            f"PostgreSQL on {self.pg.port}, RabbitMQ {self.rabbit.node} on {self.rabbit.port}; files in {self.root}"
        )
        await _seed(self.pg.url, self.rabbit.url)
        env = {k: v for k, v in os.environ.items() if not k.endswith(("DATABASE_URL", "AMQP_URL"))}
        env.update(
            DATABASE_URL=self.pg.url,
            AMQP_URL=self.rabbit.url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=self.api.base_url,
            HEALTH_PORT="0",
            LOG_LEVEL="INFO",
            PAYMENT_LATENCY_MS="5",
            DB_POOL_SIZE="5",
            RETRY_DELAYS_S="0.5,1,2,4,8,15,30,30,30",  # outlasts any restart before anything is parked
        )
        self.fleet = fleet = Fleet(env, self.root / "logs")
        await fleet.start()
        if not await _until(self._catalog_ready, 180, "the rooms in the reservation catalog"):
            return 2

        chats = Chats(self.api)
        script = Script(self.api, chats, self.people_rng, timeout_s=45.0)
        today = datetime.now(ZoneInfo(TZ)).date()
        guests = Guests(script, [str(101 + n) for n in range(ROOMS)], today)
        managers = Managers(script, [self.api.user(m, f"Manager{m}") for m in MANAGERS])
        stop_managers, hurry = asyncio.Event(), asyncio.Event()
        working = asyncio.create_task(managers.work(stop_managers, hurry))
        people = [
            asyncio.create_task(guests.live(self.api.user(10_000 + i, f"Guest{i}"), self.think_s))
            for i in range(self.guests)
        ]
        stop_faults = asyncio.Event()
        chaos = asyncio.create_task(self._faults(stop_faults))
        watch = asyncio.create_task(self._watch(stop_faults))
        self.say(f"{self.guests} guests and {len(MANAGERS)} managers at work for {self.minutes:g} min")
        await asyncio.sleep(self.minutes * 60)

        self.say("quiet: no more faults, no new bookings")
        stop_faults.set()
        await chaos
        await watch
        await fleet.revive()
        guests.stop.set()
        await asyncio.gather(*people)
        hurry.set()
        await _until(self._all_decided, 240, "every request decided")
        stop_managers.set()
        await working
        await _until(self._drained, 180, "outboxes and queues empty")
        await self._quiet(5)

        snapshot = await self._snapshot(script, guests)
        self.say("SIGTERM to every process")
        await fleet.stop()
        snapshot.stops = [(s.name, s.how, s.code) for s in fleet.stops]
        rows = inv.check(snapshot)
        self._report(rows, script, guests, managers, snapshot)
        return 0 if all(r.ok for r in rows) else 1

    async def _faults(self, stop: asyncio.Event) -> None:
        assert self.fleet is not None
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.rng.uniform(20, 40))
                return
            kind = self.rng.choices(["kill -9", "SIGTERM", "broker restart", "database restart"], [3, 3, 2, 2])[0]
            at = time.monotonic() - self.started
            if kind in ("kill -9", "SIGTERM"):
                member = self.rng.choice([m for m in self.fleet.members if m.running] or self.fleet.members)
                if not member.running:
                    continue
                member.held = True
                try:
                    stop_ = await (member.kill() if kind == "kill -9" else member.terminate())
                    self.fleet.stops.append(stop_)
                    await asyncio.sleep(self.rng.uniform(0.5, 3))
                    await member.start()
                finally:
                    member.held = False
                self.faults.append(Fault(at, kind, member.name, f"exit {stop_.code}"))
            elif kind == "broker restart":
                began = time.monotonic()
                await asyncio.to_thread(self.rabbit.restart)
                self.faults.append(Fault(at, kind, "rabbitmq", f"{time.monotonic() - began:.1f} s"))
            else:
                began = time.monotonic()
                await asyncio.to_thread(self.pg.restart)
                self.faults.append(Fault(at, kind, "postgresql", f"{time.monotonic() - began:.1f} s"))
            self.say(f"fault {len(self.faults)}: {kind} {self.faults[-1].target} ({self.faults[-1].note})")

    async def _watch(self, stop: asyncio.Event) -> None:
        """A process that ends on its own is noted (its exit code kept) and started again."""
        assert self.fleet is not None
        while not stop.is_set():
            for member in self.fleet.members:
                if not member.held and member.process is not None and member.process.returncode is not None:
                    self.fleet.stops.append(Stop(member.name, "died", member.process.returncode, 0.0))
                    self.say(f"{member.name} ended on its own (exit {member.process.returncode}); starting it again")
                    await member.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2)

    async def _catalog_ready(self) -> bool:
        return await _scalar(self.pg.url, "SELECT count(*) FROM reservation_rooms") == ROOMS

    async def _all_decided(self) -> bool:
        return await _scalar(self.pg.url, "SELECT count(*) FROM reservation_reservations WHERE status = 'placed'") == 0

    async def _outboxes(self, conn: asyncpg.Connection) -> dict[str, int]:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_outbox'")
        return {
            t["tablename"]: await conn.fetchval(f'SELECT count(*) FROM "{t["tablename"]}" WHERE published_at IS NULL')
            for t in tables
        }

    async def _drained(self) -> bool:
        conn = await asyncpg.connect(self.pg.url)
        try:
            outbox = await self._outboxes(conn)
        finally:
            await conn.close()
        queues = await asyncio.to_thread(self.rabbit.queues)
        return not any(outbox.values()) and not any(v for k, v in queues.items() if not k.endswith(".dead"))

    async def _quiet(self, seconds: float) -> None:
        """Until nothing was sent or edited for `seconds`."""
        last = -1
        while True:
            now = (len(self.api.sent), sum(len(m.edits) for m in self.api.sent))
            if now == last:
                return
            last = now  # type: ignore[assignment]
            await asyncio.sleep(seconds)

    async def _snapshot(self, script: Script, guests: Guests) -> inv.Snapshot:
        conn = await asyncpg.connect(self.pg.url)
        try:
            reservations = [
                inv.Reservation(r["id"], r["guest_id"], r["room_id"], r["check_in"], r["check_out"], r["status"])
                for r in await conn.fetch(
                    "SELECT id, guest_id, room_id, check_in, check_out, status FROM reservation_reservations"
                )
            ]
            nights = [
                (r["room_id"], r["night"], r["reservation_id"])
                for r in await conn.fetch("SELECT room_id, night, reservation_id FROM reservation_nights")
            ]
            payments = [
                inv.Payment(r["reservation_id"], r["status"], 1 if r["refund_ref"] else 0)
                for r in await conn.fetch("SELECT reservation_id, status, refund_ref FROM payment_payments")
            ]
            view = [
                (r["reservation_id"], r["status"])
                for r in await conn.fetch("SELECT reservation_id, status FROM view_reservations")
            ]
            withdrawn = {
                r["reservation_id"]
                for r in await conn.fetch(
                    "SELECT reservation_id FROM hotel_withdrawals UNION "
                    "SELECT reservation_id FROM hotel_approvals WHERE status = 'withdrawn'"
                )
            }
            outbox = await self._outboxes(conn)
            parked = await conn.fetchval("SELECT count(*) FROM app_dead_letters")
        finally:
            await conn.close()
        return inv.Snapshot(
            actions=list(script.actions),
            receipts=list(guests.receipts),
            reservations=reservations,
            nights=nights,
            payments=payments,
            view=view,
            managers=MANAGERS,
            withdrawn=withdrawn,
            messages=[inv.Copy(m.chat_id, m.text, tuple(m.buttons())) for m in self.api.sent],
            outbox=outbox,
            queues=await asyncio.to_thread(self.rabbit.queues),
            parked=int(parked or 0),
        )

    def _report(self, rows: list[inv.Row], script: Script, guests: Guests, managers: Managers, s: inv.Snapshot) -> None:
        kinds = Counter(f.kind for f in self.faults)
        statuses = Counter(r.status for r in s.reservations)
        print(f"\nsoak: {self.minutes:g} min, seed {self.seed}, {self.guests} guests, {len(MANAGERS)} managers")
        print(f"faults: {len(self.faults)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
        for f in self.faults:
            print(f"  {f.at:6.0f} s  {f.kind:<16} {f.target:<22} {f.note}")
        print(
            f"paid bookings: {len(s.reservations)} ({', '.join(f'{n} {k}' for k, n in sorted(statuses.items()))}); "
            f"guest cancellations {guests.cancelled}; manager decisions {managers.decided} "
            f"({managers.rejected} rejections)"
        )
        print(f"actions: {len(script.actions)}; sent again after {script.timeout_s:.0f} s of silence: {script.repeats}")
        print()
        print(inv.table(rows))
        for action in script.actions:
            if not action.answered:
                print(f"unanswered: user {action.user_id}: {action.what}")


def run(rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotelbot soak")
    parser.add_argument("--minutes", type=float, default=10, help="how long guests book while faults come")
    parser.add_argument("--seed", type=int, default=2611, help="the same seed, the same schedule of faults")
    parser.add_argument("--guests", type=int, default=16, help="guests booking at the same time")
    parser.add_argument("--think", type=float, default=0.3, help="seconds a person pauses before a message or tap")
    parser.add_argument("--keep", action="store_true", help="keep the logs and data folder even when it passes")
    args = parser.parse_args(rest)
    root = Path(tempfile.mkdtemp(prefix="hotelbot-soak-"))
    os.chmod(root, 0o755)  # the postgres user walks into its own folder under it
    code = 1
    try:
        code = asyncio.run(Soak(args.minutes, args.seed, args.guests, args.think, root).run())
    finally:
        if code == 0 and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"soak: logs and data kept in {root}", file=sys.stderr)
    return code
