"""The bot's own record of its users: the language each one picked."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import bot_users
from infra.db.uow import insert_ignore


class UserDirectory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._cache: dict[int, str] = {}

    async def language(self, user_id: int) -> str | None:
        if user_id in self._cache:
            return self._cache[user_id]
        async with self.engine.connect() as conn:
            found = await conn.scalar(select(bot_users.c.language).where(bot_users.c.user_id == user_id))
        if found:
            self._cache[user_id] = found
        return found

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]:
        return {u: (await self.language(u)) or "en" for u in user_ids}

    async def set_language(self, user_id: int, language: str, first_name: str = "") -> None:
        async with self.engine.begin() as conn:
            stmt = insert_ignore(conn, bot_users, ["user_id"])
            await conn.execute(stmt.values(user_id=user_id, language=language, first_name=first_name[:64]))
            await conn.execute(bot_users.update().where(bot_users.c.user_id == user_id).values(language=language))
        self._cache[user_id] = language
