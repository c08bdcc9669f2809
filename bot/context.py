"""A CallbackContext that exposes the application's services as typed properties."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.ports import BotServices
from bot.texts import DEFAULT, t


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def services(self) -> BotServices:
        return self.application.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def lang(self) -> str:
        if self.user_data is None:
            return DEFAULT
        return self.user_data.get("lang", DEFAULT)  # type: ignore[no-any-return]

    def t(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.services.config.admin_ids
