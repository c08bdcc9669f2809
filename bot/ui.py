"""Small helpers every handler module shares."""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)

# What Telegram answers a send or an edit with (the message echoed back, keyboard and all) is never
# used here. Asked for through do_api_request without a return type, PTB hands it back as it came
# instead of building a Message out of it: that building was a tenth of the bot's CPU under load.
# PTB suggests its named methods to whoever calls do_api_request for one: here that is on purpose.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(sendMessage|editMessageText)'", category=PTBUserWarning)


async def _call(bot: Any, method: str, **params: Any) -> None:
    await bot.do_api_request(method, api_kwargs={k: v for k, v in params.items() if v is not None})


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message a button sits on, or answer a typed message with a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await _call(
                update.get_bot(),
                "editMessageText",
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                text=text,
                reply_markup=markup,
            )
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            log.info("could not edit, sending instead: %s", exc.message)
    if update.effective_chat is not None:
        await _call(update.get_bot(), "sendMessage", chat_id=update.effective_chat.id, text=text, reply_markup=markup)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):  # a query older than Telegram keeps them
            await update.callback_query.answer(text, show_alert=alert)


def typed(update: Update) -> str:
    """What the user typed, trimmed ("" for anything that is not a text message)."""
    message = update.message
    return (message.text or "").strip() if message is not None else ""
