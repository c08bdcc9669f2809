"""/board: one message with every room of the hotel and its reservations, page by page."""

from __future__ import annotations

import math
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.commands import mini_app_page
from bot.context import BotContext
from bot.manager.shared import hotel_picker, managed, user_of
from bot.manager.stays import on_the_board, stay_rows
from bot.texts import EN, reservation_code
from bot.ui import answer, show
from domain.hotel.model import Hotel
from domain.shared.money import format_money

BOARD_ROOMS_PER_PAGE = 6


async def board(update: Update, context: BotContext) -> None:
    hotels = await managed(update, context)
    if len(hotels) == 1:
        await _render_board(update, context, hotels[0], 0)
    elif hotels:
        await show(update, context.t("pick_managed_hotel"), hotel_picker(hotels, "board"))


async def board_page(update: Update, context: BotContext) -> None:
    try:
        parsed = cb.pressed(update)
        if parsed.kind == cb.MHOTEL:
            hotel_id, page = parsed.as_int(1), 0
        else:
            hotel_id, page = parsed.as_int(0), parsed.as_int(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return
    hotel = await context.services.hotels.hotel(hotel_id)
    if hotel is None or not hotel.is_manager(user_of(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return
    await answer(update)
    await _render_board(update, context, hotel, page)


async def _render_board(update: Update, context: BotContext, hotel: Hotel, page: int) -> None:
    rooms, reservations = await context.services.views.board(hotel.id or 0)
    if not rooms:
        await show(update, context.t("board_empty", hotel=hotel.name))
        return
    pages = max(1, math.ceil(len(rooms) / BOARD_ROOMS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [context.t("board_header", hotel=hotel.name, page=page + 1, pages=pages)]
    shown = rooms[page * BOARD_ROOMS_PER_PAGE : (page + 1) * BOARD_ROOMS_PER_PAGE]
    for room in shown:
        lines.append("")
        lines.append(
            context.t(
                "board_room",
                number=room.number,
                type=room.room_type,
                capacity=room.capacity,
                price=format_money(room.price_per_night, room.currency),
                service="" if room.in_service else context.t("out_of_service"),
            )
        )
        mine = [r for r in reservations if r.room_id == room.room_id]
        if not mine:
            lines.append(context.t("board_no_reservations"))
        for r in mine[:15]:
            lines.append(
                context.t(
                    "board_reservation",
                    code=reservation_code(r.reservation_id),
                    check_in=r.check_in,
                    check_out=r.check_out,
                    guest=r.guest_name,
                    status=_status(context, r.status),
                )
            )
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(context.t("btn_prev"), callback_data=cb.pack(cb.BOARD, hotel.id, page - 1)))
    nav.append(InlineKeyboardButton(context.t("btn_refresh"), callback_data=cb.pack(cb.BOARD, hotel.id, page)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton(context.t("btn_next"), callback_data=cb.pack(cb.BOARD, hotel.id, page + 1)))
    # The guests of this page's rooms arriving, staying or leaving today: a button each, to check
    # them in or out.
    on_page = {room.room_id for room in shown}
    today = hotel.today(context.services.clock.now())
    rows = [*stay_rows(context, on_the_board([r for r in reservations if r.room_id in on_page], today)), nav]
    base = context.services.config.mini_app_url
    if base:  # the same hotel, a month at a glance, in the Mini App
        url = mini_app_page(base, "grid.html", hotel=hotel.id, lang=context.lang)
        rows.append([InlineKeyboardButton(context.t("btn_grid"), web_app=WebAppInfo(url))])
    await show(update, "\n".join(lines)[:4000], InlineKeyboardMarkup(rows))


def _status(context: BotContext, status: str) -> str:
    """The reservation's status in the reader's words; a status newer than this catalog (the view
    may already know checked_in, checked_out, no_show) is shown as it is named, not an error."""
    key = f"status_{status}"
    return context.t(key) if key in EN else status.replace("_", " ")


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("board", board),
        CallbackQueryHandler(board_page, pattern=f"^({cb.BOARD}|{cb.MHOTEL}:board):"),
    ]
