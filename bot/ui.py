"""Small helpers every handler module shares."""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message a button sits on, or answer a typed message with a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            log.info("could not edit, sending instead: %s", exc.message)
    if update.effective_chat is not None:
        await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):  # a query older than Telegram keeps them
            await update.callback_query.answer(text, show_alert=alert)


def typed(update: Update) -> str:
    """What the user typed, trimmed ("" for anything that is not a text message)."""
    message = update.message
    return (message.text or "").strip() if message is not None else ""
