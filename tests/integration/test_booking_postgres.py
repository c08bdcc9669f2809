"""Placing reservations against the real PostgreSQL: double booking is impossible by
construction, and a reservation whose payment failed leaves nothing behind."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest

from bot.texts import error_text
from domain.shared.errors import PaymentsBusy, PaymentUnavailable, RoomTaken
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider
from main.bootstrap import Container
from tests.conftest import make_settings, scalar
from tests.integration.helpers import place, seed_hotel, stay

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)


async def _counts(url: str) -> tuple[int, int, int]:
    return (
        await scalar(url, "SELECT count(*) FROM reservation_reservations"),
        await scalar(url, "SELECT count(*) FROM reservation_nights"),
        await scalar(url, "SELECT count(*) FROM reservation_outbox"),
    )


async def _race(container: Container, commands: list) -> tuple[list, list]:
    results = await asyncio.gather(*(container.handle(c) for c in commands), return_exceptions=True)
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    return won, lost


async def test_fifty_guests_race_for_one_room_night_and_exactly_one_wins(pg: str) -> None:
    container = Container(make_settings(database_url=pg, payment_latency_ms=20))
    try:
        _, (room,) = await seed_hotel(container)
        check_in, _ = stay(container)
        commands = [place(room, 1000 + i, check_in, check_in + timedelta(days=1)) for i in range(50)]
        won, lost = await _race(container, commands)
        assert len(won) == 1
        assert len(lost) == 49 and all(isinstance(e, RoomTaken) for e in lost), {type(e) for e in lost}
        assert await _counts(pg) == (1, 1, 1)
        assert await scalar(pg, "SELECT count(*) FROM payment_payments") == 1
    finally:
        await container.close()


async def test_overlapping_stays_race_and_only_non_overlapping_ones_win(pg: str) -> None:
    container = Container(make_settings(database_url=pg, payment_latency_ms=20))
    try:
        _, (room,) = await seed_hotel(container)
        start, _ = stay(container)
        # 50 stays of 3 nights starting on 50 consecutive days, all at once, in shuffled order:
        # every pair that shares a night conflicts; whatever wins, no night is held twice.
        commands = [place(room, 2000 + i, start + timedelta(days=i), start + timedelta(days=i + 3)) for i in range(50)]
        commands = commands[::2] + commands[1::2]
        won, lost = await _race(container, commands)
        assert all(isinstance(e, RoomTaken) for e in lost), {type(e) for e in lost}
        nights = [n for r in won for n in r.nights]
        assert len(nights) == len(set(nights))
        assert await scalar(pg, "SELECT count(*) FROM reservation_nights") == len(nights)
        assert len(won) >= 13  # at least every 4th start day can win
        assert await scalar(pg, "SELECT count(*) FROM reservation_reservations") == len(won)
    finally:
        await container.close()


@pytest.mark.parametrize("failure", ["decline", "outage", "timeout"])
async def test_a_failed_payment_leaves_no_reservation_no_night_and_no_event(pg: str, failure: str) -> None:
    sandbox = SandboxProvider(latency_s=0.5 if failure == "timeout" else 0)
    if failure == "decline":
        sandbox.decline_rate = 1.0
    elif failure == "outage":
        sandbox.failure_rate = 1.0
    provider = GuardedProvider(sandbox, timeout_s=0.1, failures=5, reset_s=60)
    container = Container(make_settings(database_url=pg), provider=provider)
    try:
        _, (room,) = await seed_hotel(container)
        check_in, check_out = stay(container)
        with pytest.raises(Exception) as raised:
            await container.handle(place(room, 3000, check_in, check_out))
        assert getattr(raised.value, "code", "").startswith("payment")
        assert await _counts(pg) == (0, 0, 0)
        assert await scalar(pg, "SELECT count(*) FROM payment_payments") == 0
        assert await scalar(pg, "SELECT count(*) FROM payment_outbox") == 0
    finally:
        await container.close()


async def test_an_open_breaker_refuses_at_once_and_books_nothing(pg: str) -> None:
    sandbox = SandboxProvider(latency_s=0, failure_rate=1.0)
    provider = GuardedProvider(sandbox, timeout_s=1, failures=3, reset_s=60)
    container = Container(make_settings(database_url=pg), provider=provider)
    try:
        _, (room,) = await seed_hotel(container)
        check_in, check_out = stay(container)
        for i in range(3):
            with pytest.raises(PaymentUnavailable):
                await container.handle(place(room, 4000 + i, check_in, check_out))
        timings = []
        for i in range(10):
            started = time.perf_counter()
            with pytest.raises(PaymentsBusy) as raised:
                await container.handle(place(room, 4100 + i, check_in, check_out))
            timings.append(time.perf_counter() - started)
        assert "try again in a few minutes" in error_text("en", raised.value)  # what the guest reads
        timings.sort()
        log.warning("breaker-open refusal: median %.1f ms, max %.1f ms", timings[5] * 1000, timings[-1] * 1000)
        # "at once": far below the provider's 5 s timeout it would otherwise wait out
        assert timings[-1] < 1.0
        assert await _counts(pg) == (0, 0, 0)
    finally:
        await container.close()
