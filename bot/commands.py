"""The command menu (setMyCommands) per role: guests see theirs, managers and admins more."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.texts import LANGUAGES

log = logging.getLogger(__name__)

GUEST = {
    "en": [
        ("book", "Book a room"),
        ("my", "My reservations"),
        ("language", "Language"),
        ("help", "Help"),
        ("cancel", "Stop what I am doing"),
    ],
    "ko": [
        ("book", "객실 예약"),
        ("my", "내 예약"),
        ("language", "언어"),
        ("help", "도움말"),
        ("cancel", "진행 중인 작업 중단"),
    ],
}
MANAGER = {
    "en": [("board", "Rooms and reservations"), ("rooms", "Edit rooms"), ("addroom", "Add a room")],
    "ko": [("board", "객실 및 예약 현황"), ("rooms", "객실 수정"), ("addroom", "객실 추가")],
}
ADMIN = {
    "en": [
        ("addhotel", "Add a hotel"),
        ("grant", "Grant manager role"),
        ("revoke", "Revoke manager role"),
        ("hotels", "List hotels"),
        ("stats", "System state"),
        ("dlq", "Dead letters"),
        ("replay", "Replay dead letters"),
    ],
    "ko": [
        ("addhotel", "호텔 추가"),
        ("grant", "매니저 권한 부여"),
        ("revoke", "매니저 권한 회수"),
        ("hotels", "호텔 목록"),
        ("stats", "시스템 상태"),
        ("dlq", "실패 메시지"),
        ("replay", "실패 메시지 재처리"),
    ],
}


def _menu(lang: str, manager: bool, admin: bool) -> list[BotCommand]:
    pairs = list(GUEST[lang]) + (MANAGER[lang] if manager else []) + (ADMIN[lang] if admin else [])
    return [BotCommand(name, text) for name, text in pairs]


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
