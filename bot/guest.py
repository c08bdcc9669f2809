"""/my: the guest's reservations with live status (read from the view), each with a Cancel
button that asks first; cancelling shows the refund."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import BotContext
from bot.texts import error_text, reservation_code
from bot.ui import answer, show
from domain.reservation.commands import CancelReservation
from domain.shared.errors import DomainError
from domain.shared.money import format_money
from domain.view.model import ReservationView

CANCELLABLE = ("placed", "confirmed")


def _line(context: BotContext, r: ReservationView) -> str:
    return context.t(
        "my_line",
        code=reservation_code(r.reservation_id),
        hotel=r.hotel_name,
        number=r.room_number,
        check_in=r.check_in,
        check_out=r.check_out,
        total=format_money(r.total_price, r.currency),
        status=context.t(f"status_{r.status}"),
        payment=context.t(f"payment_{r.payment_status}"),
    )


async def my_reservations(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    rows = await context.services.views.guest_reservations(user.id)
    if not rows:
        await show(update, context.t("my_none"))
        return
    text = "\n\n".join([context.t("my_header"), *(_line(context, r) for r in rows)])
    buttons = [
        [
            InlineKeyboardButton(
                context.t("btn_cancel_reservation", code=reservation_code(r.reservation_id)),
                callback_data=cb.pack(cb.CANCEL_ASK, r.reservation_id),
            )
        ]
        for r in rows
        if r.status in CANCELLABLE
    ]
    await show(update, text, InlineKeyboardMarkup(buttons) if buttons else None)


async def _own(update: Update, context: BotContext) -> ReservationView | None:
    """The reservation a button names, if it is the presser's own; nobody learns of others'."""
    try:
        reservation_id = cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        reservation_id = None
    row = await context.services.views.reservation(reservation_id) if reservation_id else None
    user = update.effective_user
    if row is None or user is None or row.guest_id != user.id:
        await answer(update, context.t("stale_button"), alert=True)
        return None
    return row


async def ask_cancel(update: Update, context: BotContext) -> None:
    row = await _own(update, context)
    if row is None:
        return
    await answer(update)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.t("btn_yes_cancel"), callback_data=cb.pack(cb.CANCEL_YES, row.reservation_id)
                ),
                InlineKeyboardButton(context.t("btn_keep"), callback_data=cb.pack(cb.CANCEL_NO, row.reservation_id)),
            ]
        ]
    )
    await show(
        update,
        context.t(
            "cancel_question",
            code=reservation_code(row.reservation_id),
            check_in=row.check_in,
            check_out=row.check_out,
            total=format_money(row.total_price, row.currency),
        ),
        keyboard,
    )


async def confirm_cancel(update: Update, context: BotContext) -> None:
    row = await _own(update, context)
    if row is None:
        return
    await answer(update)
    user = update.effective_user
    assert user is not None
    try:
        await context.services.handle(CancelReservation(reservation_id=row.reservation_id, guest_id=user.id))
    except DomainError as exc:
        await show(update, error_text(context.lang, exc))
        return
    await show(
        update,
        context.t(
            "cancel_done", code=reservation_code(row.reservation_id), total=format_money(row.total_price, row.currency)
        ),
    )


async def keep(update: Update, context: BotContext) -> None:
    row = await _own(update, context)
    if row is None:
        return
    await answer(update)
    await show(update, context.t("kept", code=reservation_code(row.reservation_id)))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("my", my_reservations),
        CallbackQueryHandler(ask_cancel, pattern=f"^{cb.CANCEL_ASK}:"),
        CallbackQueryHandler(confirm_cancel, pattern=f"^{cb.CANCEL_YES}:"),
        CallbackQueryHandler(keep, pattern=f"^{cb.CANCEL_NO}:"),
    ]
