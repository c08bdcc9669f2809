"""An update handed to the bot directly (as a webhook route that answers Telegram only after the
update is handled does) runs like one from the updater: inside the user's turn, so when the call
returns the guest has had the answer and their conversation state is stored."""

from __future__ import annotations

import time

from sqlalchemy import text
from telegram import Update

from bot.app import handle_now
from tests.e2e.conftest import GUEST, World
from tests.e2e.test_scenario import setup_hotel


async def test_an_update_handled_at_once_is_answered_and_its_state_stored_when_the_call_returns(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    await setup_hotel(world)
    guest = world.api.user(GUEST, "Gus")
    application = world.runtime.application
    raw = {
        "update_id": 900_001,
        "message": {
            "message_id": 900_001,
            "date": int(time.time()),
            "chat": guest.as_chat(),
            "from": guest.as_from(),
            "text": "/book",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    after = len(guest.inbox)
    await handle_now(application, Update.de_json(raw, application.bot))
    assert any("pick your check-in day" in m.text for m in guest.inbox[after:])
    async with world.runtime.container.engine("app").connect() as conn:
        stored = await conn.execute(
            text("SELECT data FROM app_bot_state WHERE kind = 'conversation:booking' AND key = :key"),
            {"key": f"[{GUEST}, {GUEST}]"},
        )
        assert stored.scalar() is not None
