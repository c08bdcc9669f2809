"""The notifier through python-telegram-bot's rate-limited Bot: Telegram's 429 is waited out and
the message still arrives; a manager who blocked the bot is skipped, not retried forever."""

from __future__ import annotations

import pytest

from domain.hotel import commands as hc
from main.admin import dead_letters
from tests.e2e.conftest import World
from tests.integration.helpers import eventually, place, seed_hotel, stay

pytestmark = pytest.mark.e2e
SECOND_MANAGER = 5001


async def test_a_429_from_telegram_is_waited_out_and_the_request_still_reaches_the_manager(
    sqlite_world: World,
) -> None:
    api, c = sqlite_world.api, sqlite_world.runtime.container
    manager = api.user(5000, "Mia")
    _, (room,) = await seed_hotel(c, sync_catalog=False)
    too_many = {"error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}
    api.fail_next["sendMessage"] = [dict(too_many), dict(too_many)]
    r = await c.handle(place(room, 77, *stay(c)))
    message = await manager.expect("New reservation", timeout=20)
    assert message.buttons() == ["✅ Approve", "❌ Reject"]
    assert api.fail_next["sendMessage"] == []  # both refusals were met, and waited out
    assert [m for m in api.sent if m.chat_id == 5000 and "New reservation" in m.text] == [message]
    assert await dead_letters(c) == []
    assert r.id


async def test_a_manager_who_blocked_the_bot_is_skipped_and_the_others_still_hear(sqlite_world: World) -> None:
    api, c = sqlite_world.api, sqlite_world.runtime.container
    hotel, (room,) = await seed_hotel(c, sync_catalog=False)
    await c.handle(hc.GrantManager(hotel_id=hotel.id, user_id=SECOND_MANAGER))
    api.blocked.add(5000)
    second = api.user(SECOND_MANAGER, "Max")
    r = await c.handle(place(room, 78, *stay(c)))
    await second.expect("New reservation")

    event_id = await _requested_event_id(c, r.id)

    async def noted() -> bool:
        async with c.hotel_uow() as uow:
            return await uow.seen("notifier", event_id)

    await eventually(noted)
    assert await dead_letters(c) == []
    attempts = [p for m, p in api.calls if m == "sendMessage" and p.get("chat_id") == 5000]
    assert len(attempts) == 1  # one try, then logged and skipped


async def _requested_event_id(c, reservation_id):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from infra.db.tables import hotel_messaging

    outbox = hotel_messaging.outbox
    async with c.engine("hotel").connect() as conn:
        return await conn.scalar(
            select(outbox.c.event_id).where(
                outbox.c.correlation_key == str(reservation_id), outbox.c.routing_key == "hotel.approval_requested"
            )
        )
