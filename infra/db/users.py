"""The bot's own record of its users: the language each one picked."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import bot_users
from infra.db.uow import inserting_ignored

# Statements are built once and executed with parameters: a reused statement keeps its memoized
# cache key, so SQLAlchemy skips building, coercing and cache-keying it on every call.
_LANGUAGE = select(bot_users.c.language).where(bot_users.c.user_id == bindparam("b_user_id"))
_SET_LANGUAGE = (
    update(bot_users)
    .where(bot_users.c.user_id == bindparam("b_user_id"))
    .values({bot_users.c.language: bindparam("language")})
)


class UserDirectory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._cache: dict[int, str] = {}

    async def language(self, user_id: int) -> str | None:
        if user_id in self._cache:
            return self._cache[user_id]
        async with self.engine.connect() as conn:
            found = await conn.scalar(_LANGUAGE, {"b_user_id": user_id})
        if found:
            self._cache[user_id] = found
        return found

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]:
        return {u: (await self.language(u)) or "en" for u in user_ids}

    async def set_language(self, user_id: int, language: str, first_name: str = "") -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                inserting_ignored(conn.dialect.name, bot_users),
                {"user_id": user_id, "language": language, "first_name": first_name[:64]},
            )
            await conn.execute(_SET_LANGUAGE, {"b_user_id": user_id, "language": language})
        self._cache[user_id] = language
