"""LOG_FORMAT=json: one JSON object per line, and the lines of a booking carry its ids."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.botapi import FakeBotApi
from tests.conftest import TOKEN
from tests.e2e.conftest import ADMIN, World
from tests.e2e.test_scenario import book, seoul_today, setup_hotel
from tests.ops.helpers import Process, environment

pytestmark = pytest.mark.e2e

GUEST = 11


async def test_json_logs_give_every_line_of_a_booking_its_reservation_user_and_correlation_ids(tmp_path: Path) -> None:
    """DEBUG, so that the libraries' lines within each flow (python-telegram-bot's calls) show too."""
    api = FakeBotApi(TOKEN)
    await api.start()
    env = environment(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ADMIN_IDS=str(ADMIN),
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
    )
    process = await Process.start(tmp_path, env, "run")
    try:
        await process.ready()
        world = cast(World, SimpleNamespace(api=api))
        await setup_hotel(world)
        receipt = await book(world, GUEST, "Gus", seoul_today() + timedelta(days=3), 2, "101")
        await api.users[2].expect("New reservation")
    finally:
        code = await process.stop()
        await api.stop()
    assert code == 0, process.log()
    lines = [json.loads(line) for line in process.lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    placed = [line for line in lines if line["message"] == "booking placed"]
    assert len(placed) == 1, process.log()
    booking = placed[0]
    assert booking["user_id"] == str(GUEST)
    assert booking["correlation_id"].startswith("update-")
    reservation_id = booking["reservation_id"]
    assert reservation_id.startswith(receipt.removeprefix("R-").lower())
    # The events of the booking, delivered to the consumers: each delivery's lines (here the
    # notifier's calls to Telegram) carry the event, the reservation and the guest.
    delivered = [line for line in lines if line.get("event_id") and line.get("reservation_id") == reservation_id]
    assert delivered, process.log()
    assert all(line["correlation_id"] == reservation_id and line["user_id"] == str(GUEST) for line in delivered)
