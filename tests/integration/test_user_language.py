"""The language a user picked, as every process reads it: the bot's process, where /language is
pressed, and the notifier's, which runs apart in a deployment. A pick reaches the other process
within the time a process remembers an answer; a user who never picked one is not read again
for every message sent to them. On PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from infra.db.engines import Engines, make_engine
from infra.db.users import UserDirectory

GUEST = 4242
FRESH_S = 0.3


async def test_a_language_picked_in_the_bot_reaches_the_notifiers_process(db_url: str) -> None:
    # each process as deployed: languages read in autocommit on its reader, picked on its engine
    bot_engines, notifier_engines = Engines(pool_size=2), Engines(pool_size=2)
    try:
        bot, notifier = (
            UserDirectory(e.get(db_url), fresh_s=FRESH_S, reader=e.reader(db_url))
            for e in (bot_engines, notifier_engines)
        )
        assert await notifier.language(GUEST) is None  # never picked: the Telegram app's language is used

        await bot.set_language(GUEST, "ko", "Guest")
        assert await bot.language(GUEST) == "ko"
        await asyncio.sleep(FRESH_S + 0.1)
        assert await notifier.language(GUEST) == "ko"

        await bot.set_language(GUEST, "en", "Guest")  # changed back: not "ko" until a restart
        await asyncio.sleep(FRESH_S + 0.1)
        assert await notifier.language(GUEST) == "en"
        assert await notifier.languages([GUEST, GUEST + 1]) == {GUEST: "en", GUEST + 1: "en"}
    finally:
        await bot_engines.dispose()
        await notifier_engines.dispose()


async def test_a_user_who_never_picked_a_language_is_read_once_not_per_message(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    reader = _Connects(engine)
    try:
        users = UserDirectory(engine, fresh_s=FRESH_S, reader=reader)  # type: ignore[arg-type]
        for _ in range(20):  # twenty messages to one guest
            assert await users.language(GUEST) is None
        assert len([s for s in statements if "app_users" in s]) == 1
        assert reader.connects == 1  # read on the reader (in a deployment: autocommit)
        await asyncio.sleep(FRESH_S + 0.1)
        assert await users.language(GUEST) is None
        assert len([s for s in statements if "app_users" in s]) == 2  # read again once it is old
    finally:
        await engine.dispose()


class _Connects:
    def __init__(self, engine: Any) -> None:
        self.engine, self.connects = engine, 0

    def connect(self) -> Any:
        self.connects += 1
        return self.engine.connect()
