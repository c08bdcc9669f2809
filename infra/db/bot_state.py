"""python-telegram-bot persistence in the database (not a pickle file): conversations and user
data as JSON rows of `app_bot_state`, so a guest half-way through a booking continues after a
restart, on any replica."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, and_, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from infra.db.tables import bot_state

CONVERSATION = "conversation:"
USER = "user"
_LOAD = select(bot_state.c.key, bot_state.c.data).where(bot_state.c.kind == bindparam("b_kind"))
_DELETE = delete(bot_state).where(and_(bot_state.c.kind == bindparam("b_kind"), bot_state.c.key == bindparam("b_key")))


@cache
def _upsert(dialect: str) -> Insert:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(bot_state)
    return insert.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["kind", "key"], set_={"data": insert.excluded.data, "updated_at": insert.excluded.updated_at}
    )


class SqlPersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, engine: AsyncEngine, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.engine = engine
        self._pending: dict[tuple[str, str], str | None] = {}
        self._writing = asyncio.Lock()
        self._round = 0  # the round that pending writes join; it advances when a holder takes them
        self._failed: tuple[int, BaseException] | None = None

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(_LOAD, {"b_kind": kind})
            return {key: json.loads(data) for key, data in rows}

    async def _store(self, kind: str, key: str, data: Any) -> None:
        """Group commit: PTB writes every changed conversation and user at once each interval;
        those writes share one transaction instead of one each. The first to hold the lock writes
        everything pending; the others of its round share its outcome. A round that fails is put
        back (unless newer data came) for the next round, or `flush`, to write."""
        self._pending[(kind, key)] = None if data is None else json.dumps(data, default=str)
        joined = self._round
        await asyncio.sleep(0)  # let the rest of this round's writes join the batch
        async with self._writing:
            if self._round != joined:  # our round was written by its holder
                if self._failed is not None and self._failed[0] == joined:
                    raise self._failed[1]
                return
            self._round += 1
            batch, self._pending = self._pending, {}
            try:
                await self._write(batch)
            except BaseException as exc:
                self._pending = {**batch, **self._pending}
                self._failed = (joined, exc)
                raise
            self._failed = None

    async def _write(self, batch: dict[tuple[str, str], str | None]) -> None:
        now = datetime.now(UTC)
        gone = [{"b_kind": kind, "b_key": key} for (kind, key), payload in batch.items() if payload is None]
        kept = [
            {"kind": kind, "key": key, "data": payload, "updated_at": now}
            for (kind, key), payload in batch.items()
            if payload is not None
        ]
        async with self.engine.begin() as conn:
            if gone:
                await conn.execute(_DELETE, gone)
            if kept:
                await conn.execute(_upsert(conn.dialect.name), kept)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(k): v for k, v in (await self._load(USER)).items()}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(json.loads(k)): v for k, v in (await self._load(CONVERSATION + name)).items()}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self._store(CONVERSATION + name, json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._store(USER, str(user_id), data or None)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._store(USER, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        """At shutdown: whatever a failed round left pending is written now."""
        async with self._writing:
            if self._pending:
                batch, self._pending = self._pending, {}
                await self._write(batch)
