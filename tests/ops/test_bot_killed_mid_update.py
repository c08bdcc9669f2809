"""A bot killed (kill -9) while an update is in hand: after the restart the update is handled, so
the guest is answered. Long polling confirms an update to Telegram only once it was handled."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.botapi import FakeBotApi
from tests.conftest import TOKEN
from tests.e2e.conftest import ADMIN, World, pick_day, say, tap
from tests.e2e.test_scenario import seoul_today, setup_hotel
from tests.integration.helpers import eventually
from tests.ops.helpers import Process, environment

pytestmark = pytest.mark.e2e

GUEST = 11


async def test_a_pay_press_in_hand_when_the_bot_is_killed_is_answered_after_the_restart(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    await api.start()
    env = environment(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url, ADMIN_IDS=str(ADMIN))
    # The payment takes 5 s: the process is killed while the Pay press is in hand.
    first = await Process.start(tmp_path, {**env, "PAYMENT_LATENCY_MS": "5000"}, "run")
    second: Process | None = None
    try:
        await first.ready()
        await setup_hotel(cast(World, SimpleNamespace(api=api)))
        guest = api.user(GUEST, "Gus")
        menu = await say(guest, "/start", "Pick your language")
        await tap(guest, menu, "English", "Language set")
        check_in = seoul_today() + timedelta(days=3)
        calendar = await say(guest, "/book", "pick your check-in day")
        calendar = await pick_day(guest, calendar, check_in, "Now pick your check-out day")
        ask = await pick_day(guest, calendar, check_in + timedelta(days=1), "How many guests")
        rooms = await tap(guest, ask, "2", "Free from")
        confirm = await tap(guest, rooms, "101", "Please check")
        await tap(guest, confirm, "Pay", "Taking the payment")
        first.process.kill()  # SIGKILL: nothing is finished, nothing is said
        await first.stop()

        second = await Process.start(tmp_path, env, "run")
        await second.ready()

        # The press is handled again and answered: with the receipt (the killed process had held
        # nothing yet), or with word that the booking it started is being settled.
        async def answered() -> bool:
            return any("Paid — thank you!" in m.text or "still being settled" in m.text for m in guest.inbox)

        await eventually(answered, timeout=30)
        payments = sqlite3.connect(tmp_path / "data" / "hotelbot.db").execute("SELECT count(*) FROM payment_payments")
        assert payments.fetchone()[0] <= 1  # the killed charge at most: never a second one
    finally:
        if second is not None:
            assert await second.stop() == 0, second.log()
        await first.stop()
        await api.stop()
