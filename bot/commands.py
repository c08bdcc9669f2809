"""The command menu (setMyCommands) per role: guests see theirs, managers and admins more."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.texts import LANGUAGES, t

log = logging.getLogger(__name__)

# The commands each role sees, in menu order; their descriptions are in the text catalog (cmd_<name>).
GUEST = ("book", "my", "language", "help", "cancel")
MANAGER = ("board", "rooms", "addroom")
ADMIN = ("addhotel", "grant", "revoke", "hotels", "stats", "dlq", "replay")


def _menu(lang: str, manager: bool, admin: bool) -> list[BotCommand]:
    names = GUEST + (MANAGER if manager else ()) + (ADMIN if admin else ())
    return [BotCommand(name, t(lang, f"cmd_{name}")) for name in names]


async def set_default_commands(application: Any) -> None:
    bot = application.bot
    for lang in LANGUAGES:
        await bot.set_my_commands(
            _menu(lang, False, False), scope=BotCommandScopeDefault(), language_code=None if lang == "en" else lang
        )
    for admin_id in application.bot_data["services"].config.admin_ids:
        await refresh_commands(application, admin_id)


async def refresh_commands(application: Any, user_id: int) -> None:
    services = application.bot_data["services"]
    manager = bool(await services.hotels.managed_by(user_id))
    admin = user_id in services.config.admin_ids
    lang = await services.users.language(user_id) or "en"
    try:
        await application.bot.set_my_commands(_menu(lang, manager, admin), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:  # the user never talked to the bot yet: the menu waits for /start
        log.info("commands for %s not set: %s", user_id, exc)
