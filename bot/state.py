"""Conversation and user state per update, so several bot processes can serve one token.

Before one of a user's updates is handled, that user's turn is taken in the store (on PostgreSQL:
an advisory lock held across replicas) and their user_data and the state of each persistent
conversation for (this chat, this user) are read fresh into python-telegram-bot; after the
handler, whatever changed is written back in the same turn. Nothing is loaded at start and nothing
is flushed later: the database is the only copy that counts, and the in-memory one is overwritten
before every update.

An update id already handled for the user (a webhook delivery retried after its first attempt was
handled, say) is skipped: the last few ids are kept with the user's state, in the same write."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from telegram import Update
from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.ports import BotStateStore

log = logging.getLogger(__name__)

CONVERSATION = "conversation:"
USER = "user"
SEEN = "seen"  # the user's last update ids handled
KEEP_SEEN = 16


def _json(value: Any) -> bytes:
    """To tell whether a row changed in a turn: compared, never stored."""
    return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


class PerUpdateState:
    def __init__(self, store: BotStateStore) -> None:
        self.store = store
        self._application: Any = None
        self._conversations: dict[str, MutableMapping[ConversationKey, object]] = {}

    def attach(self, application: Any) -> None:
        """Called once the handlers are added. The conversations' keys are (chat, user): the state
        read for an update is the one its conversation handler will look up."""
        self._application = application
        for handlers in application.handlers.values():
            for handler in handlers:
                if not (isinstance(handler, ConversationHandler) and handler.persistent):
                    continue
                if handler.per_message or not (handler.per_chat and handler.per_user):
                    raise ValueError(f"conversation {handler.name}: state per update needs (chat, user) keys")
        # PTB keeps each persistent conversation's states in a dict it fills at initialize();
        # there is no public handle on it. The mapping of name → dict is filled in place.
        self._conversations = application._conversation_handler_conversations

    @asynccontextmanager
    async def turn(self, update: object, user_id: int) -> AsyncIterator[bool]:
        """Yields False if this update was handled already (it must not run again)."""
        assert self._application is not None, "attach() first"
        chat = update.effective_chat if isinstance(update, Update) else None
        update_id = update.update_id if isinstance(update, Update) else None
        conversation_key = (chat.id, user_id) if chat is not None else None
        rows: dict[tuple[str, str], str] = {(USER, str(user_id)): "user", (SEEN, str(user_id)): "seen"}
        if conversation_key is not None:
            for name in self._conversations:
                rows[(CONVERSATION + name, json.dumps(list(conversation_key)))] = name
        async with self.store.hold(user_id) as lane:
            stored = await lane.load(list(rows))
            seen: list[int] = stored.get((SEEN, str(user_id))) or []
            if update_id is not None and update_id in seen:
                log.info("update %s of user %s was handled already: skipped", update_id, user_id)
                yield False
                return
            user_data = self._application.user_data[user_id]  # created if missing
            user_data.clear()
            user_data.update(stored.get((USER, str(user_id))) or {})
            for row, name in rows.items():
                if row[0].startswith(CONVERSATION):
                    assert conversation_key is not None
                    if (state := stored.get(row)) is None:
                        self._conversations[name].pop(conversation_key, None)
                    else:
                        self._conversations[name][conversation_key] = state
            before = {row: _json(stored.get(row)) for row in rows}
            yield True
            after: dict[tuple[str, str], Any] = {(USER, str(user_id)): dict(user_data) or None}
            for row, name in rows.items():
                if row[0].startswith(CONVERSATION):
                    after[row] = self._conversations[name].get(conversation_key)  # type: ignore[arg-type]
            changed = {row: value for row, value in after.items() if _json(value) != before[row]}
            if update_id is not None:
                changed[(SEEN, str(user_id))] = [*seen, update_id][-KEEP_SEEN:]
            if changed:
                await lane.save(changed)


class NothingAtStart(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """What PTB is given as its persistence: persistent conversations need one, but it loads
    nothing at start and writes nothing later; PerUpdateState does both, per update."""

    def __init__(self) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=False, callback_data=False),
            update_interval=3600,
        )

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
