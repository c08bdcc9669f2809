"""The bot's own record of its users: the language each one picked."""

from __future__ import annotations

from collections.abc import Iterable

from cachetools import TTLCache
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


_NONE = ""  # remembered for a user who never picked a language


class UserDirectory:
    """What each process answers is remembered for `fresh_s`, a user who never picked a language
    included (most users: their Telegram app's language is used, and every message the notifier
    sent them was a read). A language picked through another process (the bot's, while the
    notifier runs apart) is therefore used everywhere within `fresh_s`, not at the next restart.
    `reader`: the engine a language is read on (autocommit: one round trip instead of BEGIN,
    SELECT, ROLLBACK); `engine` when none is given."""

    def __init__(
        self, engine: AsyncEngine, fresh_s: float = 60.0, limit: int = 100_000, reader: AsyncEngine | None = None
    ) -> None:
        self.engine, self.reader = engine, reader if reader is not None else engine
        self._cache: TTLCache[int, str] = TTLCache(maxsize=limit, ttl=fresh_s)
        self._picks = 0  # languages picked through this directory: a read older than one is not kept

    async def language(self, user_id: int) -> str | None:
        known = self._cache.get(user_id)
        if known is not None:
            return known or None
        picks = self._picks
        async with self.reader.connect() as conn:
            found = await conn.scalar(_LANGUAGE, {"b_user_id": user_id})
        if picks == self._picks:  # else it may predate the pick, which is remembered already
            self._cache[user_id] = found or _NONE
        return found or None

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]:
        return {u: (await self.language(u)) or "en" for u in user_ids}

    async def set_language(self, user_id: int, language: str, first_name: str = "") -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                inserting_ignored(conn.dialect.name, bot_users),
                {"user_id": user_id, "language": language, "first_name": first_name[:64]},
            )
            await conn.execute(_SET_LANGUAGE, {"b_user_id": user_id, "language": language})
        self._picks += 1
        self._cache[user_id] = language
