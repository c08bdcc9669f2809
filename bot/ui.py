"""Small helpers every handler module shares."""

from __future__ import annotations

import contextlib
import logging
import warnings
from operator import attrgetter
from typing import Any

import orjson
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)

# What Telegram answers a send or an edit with (the message echoed back, keyboard and all) is never
# used here. Asked for through do_api_request without a return type, PTB hands it back as it came
# instead of building a Message out of it: that building was a tenth of the bot's CPU under load.
# PTB suggests its named methods to whoever calls do_api_request for one: here that is on purpose.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.(sendMessage|editMessageText)'", category=PTBUserWarning)


# A button that carries anything but its text and callback data (a URL, a Mini App, a payment...)
# is written by PTB itself; these are the attributes that say so.
_OTHER = attrgetter(*(name for name in InlineKeyboardButton.__slots__ if name not in ("text", "callback_data")))
_NONE = (None,) * (len(InlineKeyboardButton.__slots__) - 2)


def _button(button: InlineKeyboardButton) -> dict[str, Any]:
    if button.api_kwargs or _OTHER(button) != _NONE:
        return button.to_dict()
    return {"callback_data": button.callback_data, "text": button.text}  # in PTB's order


def wire_markup(markup: InlineKeyboardMarkup) -> str:
    """The keyboard as the JSON Telegram reads: what PTB would send, in compact UTF-8 JSON. PTB
    gets there by walking every button's attributes generically (TelegramObject.to_dict) and the
    standard library's encoder: 0.28 ms for a month's calendar, against 0.03 ms here, on every
    screen the guest moves through."""
    rows = [[_button(button) for button in row] for row in markup.inline_keyboard]
    return orjson.dumps({"inline_keyboard": rows, **markup.api_kwargs}).decode()


async def call(bot: Any, method: str, **params: Any) -> Any:
    """A Bot API method, answered with Telegram's result as it came (a dict for a message)."""
    markup = params.get("reply_markup")
    if isinstance(markup, InlineKeyboardMarkup):
        params["reply_markup"] = wire_markup(markup)
    return await bot.do_api_request(method, api_kwargs={k: v for k, v in params.items() if v is not None})


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message a button sits on, or answer a typed message with a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await call(
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
        await call(update.get_bot(), "sendMessage", chat_id=update.effective_chat.id, text=text, reply_markup=markup)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):  # a query older than Telegram keeps them
            await update.callback_query.answer(text, show_alert=alert)


def typed(update: Update) -> str:
    """What the user typed, trimmed ("" for anything that is not a text message)."""
    message = update.message
    return (message.text or "").strip() if message is not None else ""
