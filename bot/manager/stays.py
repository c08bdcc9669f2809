"""A stay on the board: the guests arriving, staying or leaving today each get a button; it opens
the stay (read from the hotel context, which decides check-in and check-out) with Check in or
Check out. Only the hotel's managers may press them; a stale or forged press changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import user_of
from bot.texts import error_text, reservation_code
from bot.ui import answer, show
from domain.hotel import commands as hc
from domain.hotel.model import ApprovalRequest, ApprovalStatus, Hotel, StayStatus
from domain.shared.errors import DomainError, NotAllowed, NotFound
from domain.view.model import ReservationView

MAX_STAY_BUTTONS = 8  # per board page
# The view's statuses of a stay a manager may check in or out (the hotel context decides).
STAYING = frozenset({"confirmed", "checked_in"})


def on_the_board(reservations: list[ReservationView], today: date) -> list[ReservationView]:
    """The stays to be checked in or out today: confirmed ones from their arrival day to their
    departure day, and any guest still checked in."""
    due = [
        r
        for r in reservations
        if r.status == "checked_in"
        or (
            r.status in STAYING
            and r.check_in is not None
            and r.check_out is not None
            and r.check_in <= today <= r.check_out
        )
    ]
    return due[:MAX_STAY_BUTTONS]


def stay_rows(context: BotContext, due: list[ReservationView]) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                context.t(
                    "mstay_btn", code=reservation_code(r.reservation_id), number=r.room_number, guest=r.guest_name
                ),
                callback_data=cb.pack(cb.STAY, r.reservation_id),
            )
        ]
        for r in due
    ]


def _stay_word(context: BotContext, request: ApprovalRequest) -> str:
    if request.status is not ApprovalStatus.APPROVED:
        return context.t("mstay_not_confirmed")
    return context.t(f"mstay_{request.stay.value}", on=request.stay_changed_on or "")


def _card(context: BotContext, request: ApprovalRequest, hotel: Hotel) -> tuple[str, InlineKeyboardMarkup]:
    text = context.t(
        "mstay_card",
        code=reservation_code(request.reservation_id),
        number=request.room_number,
        guest=request.guest_name,
        guests=request.guests,
        check_in=request.check_in,
        check_out=request.check_out,
        state=_stay_word(context, request),
    )
    rows: list[list[InlineKeyboardButton]] = []
    today = hotel.today(context.services.clock.now())
    if request.status is ApprovalStatus.APPROVED:
        if request.stay is StayStatus.EXPECTED and request.check_in <= today < request.check_out:
            rows.append(
                [
                    InlineKeyboardButton(
                        context.t("mstay_btn_check_in"), callback_data=cb.pack(cb.CHECK_IN, request.reservation_id)
                    )
                ]
            )
        elif request.stay is StayStatus.CHECKED_IN:
            rows.append(
                [
                    InlineKeyboardButton(
                        context.t("mstay_btn_check_out"), callback_data=cb.pack(cb.CHECK_OUT, request.reservation_id)
                    )
                ]
            )
    rows.append([InlineKeyboardButton(context.t("mstay_btn_board"), callback_data=cb.pack(cb.BOARD, hotel.id, 0))])
    return text, InlineKeyboardMarkup(rows)


async def _mine(update: Update, context: BotContext) -> tuple[ApprovalRequest, Hotel] | None:
    """The stay the button names, if the presser manages its hotel; else a polite alert."""
    try:
        reservation_id: UUID = cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return None
    request = await context.services.hotels.approval(reservation_id)
    hotel = await context.services.hotels.hotel(request.hotel_id) if request else None
    if request is None or hotel is None or not hotel.is_manager(user_of(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return None
    return request, hotel


async def open_stay(update: Update, context: BotContext) -> None:
    found = await _mine(update, context)
    if found is None:
        return
    await answer(update)
    await show(update, *_card(context, *found))


async def _mark(update: Update, context: BotContext, checking_in: bool) -> None:
    found = await _mine(update, context)
    if found is None:
        return
    request, hotel = found
    user = user_of(update)
    command: hc.CheckInGuest | hc.CheckOutGuest
    if checking_in:
        command = hc.CheckInGuest(
            reservation_id=request.reservation_id, manager_id=user.id, manager_name=user.full_name
        )
    else:
        command = hc.CheckOutGuest(
            reservation_id=request.reservation_id, manager_id=user.id, manager_name=user.full_name
        )
    try:
        request = await context.services.handle(command)
    except (NotAllowed, NotFound):
        await answer(update, context.t("not_allowed"), alert=True)
        return
    except DomainError as exc:  # not confirmed, not arrived yet, already left, a no-show
        await answer(update, error_text(context.lang, exc), alert=True)
        fresh = await context.services.hotels.approval(request.reservation_id)
        if fresh is not None:
            await show(update, *_card(context, fresh, hotel))
        return
    await answer(update, context.t("mstay_done_check_in" if checking_in else "mstay_done_check_out"))
    await show(update, *_card(context, request, hotel))


async def check_in(update: Update, context: BotContext) -> None:
    await _mark(update, context, checking_in=True)


async def check_out(update: Update, context: BotContext) -> None:
    await _mark(update, context, checking_in=False)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(open_stay, pattern=f"^{cb.STAY}:"),
        CallbackQueryHandler(check_in, pattern=f"^{cb.CHECK_IN}:"),
        CallbackQueryHandler(check_out, pattern=f"^{cb.CHECK_OUT}:"),
    ]
