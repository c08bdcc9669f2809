"""The command menu (setMyCommands) per role: guests see theirs, managers and admins more."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.texts import LANGUAGES, t

log = logging.getLogger(__name__)

# The commands each role sees, in menu order; their descriptions are in the text catalog (cmd_<name>).
GUEST = ("book", "my", "language", "help", "cancel")
MANAGER = ("board", "rooms", "addroom", "terms")
ADMIN = ("addhotel", "grant", "revoke", "hotels", "stats", "dlq", "replay", "defaultpolicy")


def _menu(lang: str, manager: bool, admin: bool) -> list[BotCommand]:
    names = GUEST + (MANAGER if manager else ()) + (ADMIN if admin else ())
    return [BotCommand(name, t(lang, f"cmd_{name}")) for name in names]


async def set_default_commands(application: Any) -> None:
    bot = application.bot
    for lang in LANGUAGES:
        await bot.set_my_commands(
            _menu(lang, False, False), scope=BotCommandScopeDefault(), language_code=None if lang == "en" else lang
        )
    config = application.bot_data["services"].config
    for admin_id in config.admin_ids:
        await refresh_commands(application, admin_id)
    if config.mini_app_url:
        # The menu button next to the text field opens the guest's booking page (the Mini App).
        button = MenuButtonWebApp(t("en", "menu_app"), WebAppInfo(mini_app_page(config.mini_app_url)))
        try:
            await bot.set_chat_menu_button(menu_button=button)
        except TelegramError as exc:  # e.g. not https: the chat works without it
            log.warning("menu button not set to the Mini App (%s): %s", config.mini_app_url, exc)


def mini_app_page(base_url: str, page: str = "", **query: object) -> str:
    """The address of one of the Mini App's pages: "" the guest's booking page, "grid.html" the grid."""
    from urllib.parse import urlencode

    url = base_url if base_url.endswith("/") else base_url + "/"
    return url + page + (f"?{urlencode(query)}" if query else "")


async def refresh_commands(application: Any, user_id: int) -> None:
    services = application.bot_data["services"]
    manager = bool(await services.hotels.managed_by(user_id))
    admin = user_id in services.config.admin_ids
    lang = await services.users.language(user_id) or "en"
    try:
        await application.bot.set_my_commands(_menu(lang, manager, admin), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:  # the user never talked to the bot yet: the menu waits for /start
        log.info("commands for %s not set: %s", user_id, exc)
