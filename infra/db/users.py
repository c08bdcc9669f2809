"""The bot's own record of its users: the language each one picked."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import Insert

from infra.db.tables import bot_users

# Statements are built once and executed with parameters: a reused statement keeps its memoized
# cache key, so SQLAlchemy skips building, coercing and cache-keying it on every call.
_LANGUAGE = select(bot_users.c.language).where(bot_users.c.user_id == bindparam("b_user_id"))
_SET_LANGUAGE = (
    update(bot_users)
    .where(bot_users.c.user_id == bindparam("b_user_id"))
    .values({bot_users.c.language: bindparam("language")})
)


@cache
def _add_user(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (user_id) DO NOTHING, built once per dialect; values come as parameters."""
    return (
        (postgresql if dialect == "postgresql" else sqlite)
        .insert(bot_users)
        .on_conflict_do_nothing(index_elements=["user_id"])
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
                _add_user(conn.dialect.name), {"user_id": user_id, "language": language, "first_name": first_name[:64]}
            )
            await conn.execute(_SET_LANGUAGE, {"b_user_id": user_id, "language": language})
        self._cache[user_id] = language
