"""Two bot replicas on one token in webhook mode, behind a round-robin proxy, on PostgreSQL and
RabbitMQ: one guest's updates alternate between them and the booking conversation still completes
step by step, and an update Telegram sends twice is handled once; one replica gets SIGTERM while
several guests tap, and the other serves them with no update lost (Telegram, played here, sends
again what was not accepted)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from main.processes import Runtime
from tests.botapi import FakeBotApi, User
from tests.conftest import TOKEN, make_settings, scalar
from tests.e2e.conftest import pick_day, say, tap
from tests.integration.helpers import eventually, seed_hotel
from tests.ops.helpers import Process, environment
from tests.ops.webhook import SECRET_HEADER, RoundRobinProxy, TelegramWebhook

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SECRET = "replica-test-secret"
ROOMS = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_replica(cwd: Path, env: dict[str, str]) -> tuple[Process, str]:
    """One `hotelbot bot` replica, ready, and the base URL its webhook is served on: in webhook
    mode a bot takes its updates through its HTTP gateway on API_PORT, which answers only once
    the update is handled."""
    port = _free_port()
    process = await Process.start(cwd, {**env, "API_HOST": "127.0.0.1", "API_PORT": str(port)}, "bot")
    await process.ready()
    return process, f"http://127.0.0.1:{port}"


@dataclass
class Replicas:
    api: FakeBotApi
    proxy: RoundRobinProxy
    telegram: TelegramWebhook
    processes: list[Process]
    check_in: date


@asynccontextmanager
async def two_replicas(cwd: Path, pg: str, broker: dict[str, Any]) -> AsyncIterator[Replicas]:
    api = FakeBotApi(TOKEN)
    await api.start()
    proxy = RoundRobinProxy()
    await proxy.start()
    telegram = TelegramWebhook(api, SECRET)
    await telegram.start()
    # the rest of the deployment, in this process: the consumers that fill the rooms' catalog
    rest = Runtime(
        make_settings(database_url=pg, **broker),
        bot=False,
        consumers=("reservation", "hotel", "payment", "view"),
        scheduler=False,
        relay_sweep_s=0.5,
    )
    await rest.start()
    processes: list[Process] = []
    try:
        await seed_hotel(rest.container, rooms=ROOMS, tz="Asia/Seoul")
        env = environment(
            DATABASE_URL=pg.replace("+asyncpg", ""),
            AMQP_URL=broker["amqp_url"],
            AMQP_QUEUE_PREFIX=broker["amqp_queue_prefix"],
            AMQP_EXCHANGE=broker["amqp_exchange"],
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            WEBHOOK_URL=f"{proxy.url}/telegram",
            WEBHOOK_SECRET=SECRET,
        )
        for _ in range(2):
            process, base_url = await start_replica(cwd, env)
            processes.append(process)
            proxy.upstreams.append(base_url)
        today = rest.container.clock.now().date()
        yield Replicas(api, proxy, telegram, processes, today + timedelta(days=5))
    finally:
        for process in processes:
            await process.stop()
        await telegram.stop()
        await proxy.stop()
        await rest.stop()
        await api.stop()


async def book(guest: User, check_in: date, room: str, pay_when: asyncio.Event | None = None) -> str:
    """The booking conversation, step by step; with `pay_when`, the guest waits on the confirm
    screen until it is set, then taps Pay."""
    calendar = await say(guest, "/book", "pick your check-in day")
    calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
    ask = await pick_day(guest, calendar, check_in + timedelta(days=1), "How many guests")
    rooms = await tap(guest, ask, "2", "Free from")
    confirm = await tap(guest, rooms, room, "Please check")
    if pay_when is not None:
        await pay_when.wait()
    receipt = await tap(guest, confirm, "Pay", "Paid — thank you!")
    return receipt.text


async def test_one_guests_updates_alternate_between_two_replicas_and_the_booking_completes(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    async with two_replicas(tmp_path, pg, amqp()) as r:
        guest = r.api.user(21, "Gus")
        receipt = await book(guest, r.check_in, "101")
        assert "waiting for the hotel's approval" in receipt
        assert not [m for m in guest.inbox if "went wrong" in m.text]

        await _all_accepted(r)  # a replica answers 200 once an update is handled: the receipt may come first
        handled_by = [r.proxy.accepted[update_id] for update_id in sorted(r.proxy.accepted)]
        assert len(handled_by) >= 6 and set(handled_by) == set(r.proxy.upstreams)
        # every step went to the other replica than the step before, and still followed on
        assert all(a != b for a, b in itertools.pairwise(handled_by)), handled_by
        assert await scalar(pg, "SELECT count(*) FROM reservation_reservations WHERE guest_id = 21") == 1
        # the conversation ended: no state of it is left behind
        assert await scalar(pg, "SELECT count(*) FROM app_bot_state WHERE kind LIKE 'conversation:%'") == 0

        # Telegram sends the Pay tap again (its first answer got lost), to the other replica: it
        # is recognised as handled and skipped — the guest's next message is answered, nothing else
        pay = max(r.proxy.accepted)
        other = next(url for url in r.proxy.upstreams if url != r.proxy.accepted[pay])
        query_id = r.telegram.updates[pay]["callback_query"]["id"]
        answers_before, after = len(guest.answers), len(guest.inbox)
        async with aiohttp.ClientSession() as http:
            for update in (r.telegram.updates[pay], _message(guest, pay + 1, "/book")):
                async with http.post(f"{other}/telegram", json=update, headers={SECRET_HEADER: SECRET}) as response:
                    assert response.status == 200
        await guest.expect("pick your check-in day", after=after)
        assert len(guest.answers) == answers_before, [a for a in guest.answers if a["callback_query_id"] == query_id]
        assert sum("Paid — thank you!" in m.text for m in guest.inbox) == 1


async def test_a_replica_stopped_while_guests_tap_loses_no_update_and_the_other_serves_them(
    tmp_path: Path, pg: str, amqp: Callable[..., dict[str, Any]]
) -> None:
    async with two_replicas(tmp_path, pg, amqp()) as r:
        guests = [r.api.user(31 + i, f"Guest {i}") for i in range(ROOMS)]
        # The guests tap through while the replica stops; they pay only once it has stopped, so
        # some of their taps surely come after (a fast bot could otherwise finish every booking
        # before the signal is taken).
        stopped = asyncio.Event()
        bookings = [
            asyncio.create_task(book(g, r.check_in, str(101 + i), pay_when=stopped)) for i, g in enumerate(guests)
        ]

        async def under_way() -> bool:
            return len(r.telegram.delivered) >= 2 * ROOMS

        await eventually(under_way, timeout=60)
        first, second = r.processes
        assert await first.stop() == 0, first.log()  # SIGTERM: it finishes what it accepted
        stopped.set()
        receipts = await asyncio.gather(*bookings)

        assert all("Paid — thank you!" in text for text in receipts)
        for guest in guests:  # each guest paid once and saw no error
            assert sum("Paid — thank you!" in m.text for m in guest.inbox) == 1, guest.inbox
            assert not [m for m in guest.inbox if "went wrong" in m.text]
        await _all_accepted(r)
        every_update = set(range(1, _last_update(r.api) + 1))
        assert set(r.telegram.delivered) == every_update  # none lost: every one was accepted
        first_url, second_url = r.proxy.upstreams
        stopped_at = max(u for u, at in r.proxy.accepted.items() if at == first_url)
        assert all(at == second_url for u, at in r.proxy.accepted.items() if u > stopped_at)
        assert any(u > stopped_at for u in r.proxy.accepted)  # the other replica carried on
        assert await scalar(pg, "SELECT count(*) FROM reservation_reservations") == ROOMS
        # The stopped replica has exited: what the guests send now is tried on it, and taken by the other.
        skipped = r.proxy.skipped
        for guest in guests:
            await say(guest, "/my", "R-")
        assert r.proxy.skipped > skipped
        assert all(at == second_url for u, at in r.proxy.accepted.items() if u > stopped_at)
        assert second.process.returncode is None


def _message(user: User, update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10_000 + update_id,
            "date": int(time.time()),
            "chat": user.as_chat(),
            "from": user.as_from(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def _all_accepted(r: Replicas) -> None:
    """Every update answered 200, as the proxy saw it and as Telegram (played here) got it back:
    a replica answers once the update is handled, so the guest may see the reply first."""

    async def accepted() -> bool:
        last = _last_update(r.api)
        return len(r.proxy.accepted) >= last and len(set(r.telegram.delivered)) >= last

    with contextlib.suppress(AssertionError):  # what never came is named by the caller's assertions
        await eventually(accepted, timeout=20)


def _last_update(api: FakeBotApi) -> int:
    return api._next_update_id - 1
