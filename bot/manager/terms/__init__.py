"""/terms: a hotel's prices and policy, shown and changed by its managers. Seasons and events,
the weekend, guests beyond those included, minimum and maximum nights, minimum stays by arrival
day or dates, check-in and check-out times, the cancellation policy; any rule removed.

Every change is one ChangeTerms built from the hotel's terms as they are now, sent with the
revision the manager was shown: when another manager changed them meanwhile, nothing is
overwritten and the manager is shown the terms as they are now. A refused answer says why and
asks the same question again (as /addroom does); the terms stay as they were."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import END, TEXT, hotel_picker, managed, stop_handlers
from bot.manager.terms.answers import (
    extra_included,
    extra_price,
    max_nights,
    min_nights,
    minstay_first,
    minstay_last,
    minstay_nights,
    policy_days,
    policy_fee,
    season_first,
    season_last,
    season_name,
    season_price,
    tap_a_button,
    times,
    weekend_price,
)
from bot.manager.terms.buttons import button
from bot.manager.terms.flow import (
    DRAFT,
    EXTRA_INCLUDED,
    EXTRA_PRICE,
    MAX_NIGHTS,
    MIN_NIGHTS,
    MINSTAY_FIRST,
    MINSTAY_LAST,
    MINSTAY_NIGHTS,
    MINSTAY_WHEN,
    POLICY_DAYS,
    POLICY_FEE,
    POLICY_KIND,
    REMOVE,
    SEASON_FIRST,
    SEASON_LAST,
    SEASON_NAME,
    SEASON_PRICE,
    SEASON_ROOM,
    TIMES,
    WEEKEND_DAYS,
    WEEKEND_PRICE,
    hotel_of,
    show_terms,
)
from bot.manager.terms.view import policy_text
from bot.ui import answer, show

__all__ = ["handlers", "policy_text"]


async def terms_command(update: Update, context: BotContext) -> int:
    hotels = await managed(update, context)
    if not hotels:
        return END
    if len(hotels) > 1:
        await show(update, context.t("pick_managed_hotel"), hotel_picker(hotels, "terms"))
        return END
    return await show_terms(update, context, hotels[0])


async def hotel_picked(update: Update, context: BotContext) -> int:
    try:
        hotel_id = cb.pressed(update).as_int(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    hotel = await hotel_of(update, context, hotel_id)
    if hotel is None:
        return END
    await answer(update)
    return await show_terms(update, context, hotel)


BUTTONS_ONLY = (SEASON_ROOM, WEEKEND_DAYS, MINSTAY_WHEN, POLICY_KIND, REMOVE)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        ConversationHandler(
            entry_points=[
                CommandHandler("terms", terms_command),
                CallbackQueryHandler(hotel_picked, pattern=f"^{cb.MHOTEL}:terms:"),
                CallbackQueryHandler(button, pattern=f"^{cb.TERMS}:"),
            ],
            states={
                SEASON_NAME: [MessageHandler(TEXT, season_name)],
                SEASON_FIRST: [MessageHandler(TEXT, season_first)],
                SEASON_LAST: [MessageHandler(TEXT, season_last)],
                SEASON_PRICE: [MessageHandler(TEXT, season_price)],
                WEEKEND_PRICE: [MessageHandler(TEXT, weekend_price)],
                EXTRA_INCLUDED: [MessageHandler(TEXT, extra_included)],
                EXTRA_PRICE: [MessageHandler(TEXT, extra_price)],
                MIN_NIGHTS: [MessageHandler(TEXT, min_nights)],
                MAX_NIGHTS: [MessageHandler(TEXT, max_nights)],
                MINSTAY_FIRST: [MessageHandler(TEXT, minstay_first)],
                MINSTAY_LAST: [MessageHandler(TEXT, minstay_last)],
                MINSTAY_NIGHTS: [MessageHandler(TEXT, minstay_nights)],
                TIMES: [MessageHandler(TEXT, times)],
                POLICY_DAYS: [MessageHandler(TEXT, policy_days)],
                POLICY_FEE: [MessageHandler(TEXT, policy_fee)],
                # asked with buttons only: a text is answered, and the buttons still work
                **{state: [MessageHandler(TEXT, tap_a_button)] for state in BUTTONS_ONLY},
            },
            fallbacks=stop_handlers(DRAFT),
            name="terms",
            persistent=True,
            allow_reentry=True,
        )
    ]
