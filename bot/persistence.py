"""python-telegram-bot persistence in the database (not a pickle file): conversations and user
data as JSON rows of `app_bot_state`, so a guest half-way through a booking continues after a
restart, on any replica."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from infra.db.tables import bot_state

CONVERSATION = "conversation:"
USER = "user"


class SqlPersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, engine: AsyncEngine, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.engine = engine

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(bot_state.c.key, bot_state.c.data).where(bot_state.c.kind == kind))
            return {key: json.loads(data) for key, data in rows}

    async def _store(self, kind: str, key: str, data: Any) -> None:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            if data is None:
                await conn.execute(delete(bot_state).where(bot_state.c.kind == kind, bot_state.c.key == key))
                return
            payload = json.dumps(data, default=str)
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            upsert = dialect.insert(bot_state).values(kind=kind, key=key, data=payload, updated_at=now)
            await conn.execute(
                upsert.on_conflict_do_update(index_elements=["kind", "key"], set_={"data": payload, "updated_at": now})
            )

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
        return None
