"""What every user has: /start with the language choice, /help by role, the guard against huge
messages, the answer to stale or forged buttons, and the one error handler."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks as cb
from bot.commands import refresh_commands
from bot.context import BotContext
from bot.texts import LANGUAGES
from bot.ui import answer, show

log = logging.getLogger(__name__)
MAX_TEXT = 1000


async def remember_language(update: Update, context: BotContext) -> None:
    """Before anything else: a user's language is loaded once from the database into user_data."""
    user = update.effective_user
    if user is None or context.user_data is None or "lang" in context.user_data:
        return
    stored = await context.services.users.language(user.id)
    if stored:
        context.user_data["lang"] = stored
    elif user.language_code and user.language_code[:2] in LANGUAGES:
        context.user_data["lang"] = user.language_code[:2]


async def guard_size(update: Update, context: BotContext) -> None:
    """Private chats only (a booking is personal; drafts are kept per user), edits are not new
    answers, and no huge texts."""
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        await _not_here(update, context)
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        await _edited(update, context)
        raise ApplicationHandlerStop
    # Only what the user typed has a size limit: a button press carries the bot's own message,
    # which may rightly be long (/my with many reservations, /board).
    message = None if update.callback_query is not None else update.effective_message
    text = message.text or message.caption or "" if message else ""
    if len(text) > MAX_TEXT:
        await show(update, context.t("too_long", limit=MAX_TEXT))
        raise ApplicationHandlerStop


async def _not_here(update: Update, context: BotContext) -> None:
    """In a group: a command (or the bot being added) gets one short answer with a link to a
    private chat; other chatter is left alone, and nothing changes."""
    message = update.message
    if message is None:
        return
    me = context.bot.username
    added = any(member.id == context.bot.id for member in message.new_chat_members or ())
    if not (added or (message.text or "").startswith("/")):
        return
    link = InlineKeyboardButton(context.t("btn_open_private"), url=f"https://t.me/{me}?start=book")
    await show(update, context.t("private_only"), InlineKeyboardMarkup([[link]]))


async def _edited(update: Update, context: BotContext) -> None:
    """One rule for every conversation: an edited message is never taken as an answer (it may
    answer a question asked long ago). The user is told once per message, and nothing changes."""
    edited = update.edited_message
    assert edited is not None
    if context.user_data is not None:
        if context.user_data.get("edit_noted") == edited.message_id:
            return
        context.user_data["edit_noted"] = edited.message_id
    await show(update, context.t("edited_ignored"))


def _language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(name, callback_data=cb.pack(cb.LANG, code)) for code, name in LANGUAGES.items()]]
    )


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    await show(update, context.t("welcome", name=user.first_name), _language_keyboard())


async def language(update: Update, context: BotContext) -> None:
    await show(update, "🌐 " + " / ".join(LANGUAGES.values()), _language_keyboard())


async def language_chosen(update: Update, context: BotContext) -> None:
    try:
        code = cb.pressed(update).as_text()
    except (ValueError, IndexError):
        code = ""
    if code not in LANGUAGES:
        await answer(update, context.t("stale_button"))
        return
    await answer(update)
    user = update.effective_user
    assert user is not None and context.user_data is not None
    context.user_data["lang"] = code
    await context.services.users.set_language(user.id, code, user.first_name)
    await show(update, context.t("language_set") + "\n\n" + await _help_text(update, context))
    await refresh_commands(context.application, user.id)


async def _help_text(update: Update, context: BotContext) -> str:
    user = update.effective_user
    assert user is not None
    parts = [context.t("help_guest")]
    if await context.services.hotels.managed_by(user.id):
        parts.append(context.t("help_manager"))
    if context.is_admin(user.id):
        parts.append(context.t("help_admin"))
    return "\n\n".join(parts)


async def help_command(update: Update, context: BotContext) -> None:
    await show(update, await _help_text(update, context))


async def nothing_to_stop(update: Update, context: BotContext) -> None:
    await show(update, context.t("nothing_to_stop"))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no live handler takes: from an ended conversation, an old message, or forged."""
    if cb.parse(update.callback_query.data if update.callback_query else None) == cb.Parsed(cb.NOOP, ()):
        await answer(update)
        return
    await answer(update, context.t("stale_button"), alert=True)


async def unknown(update: Update, context: BotContext) -> None:
    await show(update, context.t("unknown"))


async def on_error(update: object, context: BotContext) -> None:
    """The one error handler: log with context, tell the user something went wrong."""
    user = update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    log.error("update %s from user %s failed", getattr(update, "update_id", "?"), user, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, html.escape(context.t("error")))
        except Exception:
            log.exception("could not tell the user about the error")


def first_handlers() -> list[tuple[int, BaseHandler]]:  # type: ignore[type-arg]
    return [(-3, TypeHandler(Update, remember_language)), (-2, TypeHandler(Update, guard_size))]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        # "/start book" comes from the private-chat link given in groups: the booking takes it.
        CommandHandler("start", start, filters=~filters.Regex(r"^/start book$")),
        CommandHandler("language", language),
        CallbackQueryHandler(language_chosen, pattern=f"^{cb.LANG}:"),
        CommandHandler("help", help_command),
    ]


def last_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("cancel", nothing_to_stop),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL, unknown),
    ]
