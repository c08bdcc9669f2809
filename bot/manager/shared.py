"""What the managers' conversations share: who pressed, the hotels they manage, drafts, /cancel."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from bot import callbacks as cb
from bot.context import BotContext
from bot.ui import answer, show
from domain.hotel.model import Hotel

END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND


def user_of(update: Update) -> Any:
    user = update.effective_user
    assert user is not None
    return user


def forget_draft(context: BotContext, key: str) -> None:
    if context.user_data is not None:
        context.user_data.pop(key, None)


def draft_of(context: BotContext, key: str) -> dict[str, Any] | None:
    return context.user_data.get(key) if context.user_data is not None else None


def stop_handlers(key: str) -> list[BaseHandler[Any, Any, Any]]:
    """/cancel for one conversation: forgets that conversation's draft only."""

    async def stop(update: Update, context: BotContext) -> int:
        await answer(update)
        forget_draft(context, key)
        await show(update, context.t("stopped"))
        return END

    return [CommandHandler("cancel", stop)]


async def managed(update: Update, context: BotContext) -> list[Hotel]:
    hotels = await context.services.hotels.managed_by(user_of(update).id)
    if not hotels:
        await show(update, context.t("no_hotel_managed"))
    return hotels


def hotel_picker(hotels: list[Hotel], purpose: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(h.name, callback_data=cb.pack(cb.MHOTEL, purpose, h.id))] for h in hotels]
    )
