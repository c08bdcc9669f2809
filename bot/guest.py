"""/my: the guest's reservations with live status (read from the view): the price breakdown, the
cancellation policy while it can still be cancelled, what was kept and refunded once it ended, and
a Cancel button that first shows what cancelling now keeps and gives back (QuoteCancellation,
the rule the cancellation itself applies)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import BotContext
from bot.stay_terms import breakdown, policy_text
from bot.texts import EN, error_text, reservation_code
from bot.ui import answer, show
from domain.reservation.commands import CancelReservation, QuoteCancellation
from domain.reservation.handlers import CancellationQuote
from domain.reservation.model import Reservation
from domain.shared.errors import DomainError
from domain.shared.money import format_money
from domain.view.model import ReservationView

CANCELLABLE = ("placed", "confirmed")
ENDED_WITH_FEE = ("cancelled", "no_show")
MAX_TEXT = 4000  # Telegram takes 4096 characters a message; the rest is left for the header


def _word(context: BotContext, prefix: str, value: str) -> str:
    """A status in the reader's words; one this bot has no words for yet is shown as it is."""
    return context.t(f"{prefix}_{value}") if f"{prefix}_{value}" in EN else value


def _line(context: BotContext, r: ReservationView, today: date | None) -> str:
    text = context.t(
        "my_line",
        code=reservation_code(r.reservation_id),
        hotel=r.hotel_name,
        number=r.room_number,
        check_in=r.check_in,
        check_out=r.check_out,
        total=format_money(r.total_price, r.currency),
        status=_word(context, "status", r.status),
        payment=_word(context, "payment", r.payment_status),
    )
    lines = [text]
    quote = r.quote  # the lines it was booked at (none while the placement is not in the view)
    if len(quote.lines) > 1:  # one line says no more than the total does
        lines.append(breakdown(context.lang, quote, r.currency))
    if r.status in CANCELLABLE and r.policy is not None and r.check_in is not None and today is not None:
        lines.append(policy_text(context.lang, r.policy, quote, r.check_in, r.currency, today))
    refund = r.refund_due
    if r.status in ENDED_WITH_FEE and r.fee and refund is not None:
        lines.append(context.t("my_kept", fee=format_money(r.fee, r.currency), refund=format_money(refund, r.currency)))
    return "\n".join(lines)


async def _today(context: BotContext, hotel_id: int, cache: dict[int, date]) -> date | None:
    if hotel_id not in cache:
        timezone = await context.services.availability.hotel_timezone(hotel_id)
        if timezone is None:
            return None
        cache[hotel_id] = context.services.clock.now().astimezone(ZoneInfo(timezone)).date()
    return cache[hotel_id]


async def my_reservations(update: Update, context: BotContext) -> None:
    user = update.effective_user
    assert user is not None
    found = await context.services.views.guest_reservations(user.id)
    if not found:
        await show(update, context.t("my_none"))
        return
    entries, rows = [context.t("my_header")], []
    days: dict[int, date] = {}
    size = len(entries[0])
    for r in found:  # as many as one message holds, newest first as the view gives them
        entry = _line(context, r, await _today(context, r.hotel_id, days))
        if size + len(entry) + 2 > MAX_TEXT:
            break
        entries.append(entry)
        rows.append(r)
        size += len(entry) + 2
    text = "\n\n".join(entries)
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


def _question(context: BotContext, row: ReservationView, quote: CancellationQuote) -> str:
    """What cancelling now keeps and gives back, before the guest confirms."""
    money = {
        "fee": format_money(quote.fee, quote.currency),
        "refund": format_money(quote.refund, quote.currency),
        "total": format_money(quote.refund, quote.currency),
    }
    if quote.fee == 0:
        key = "cancel_question"
    elif quote.refund > 0:
        key = "cancel_question_fee"
    elif quote.last_free_day is None:
        key = "cancel_question_non_refundable"
    else:
        key = "cancel_question_nothing"
    code = reservation_code(row.reservation_id)
    return context.t(key, code=code, check_in=row.check_in, check_out=row.check_out, **money)


def _outcome(context: BotContext, reservation: Reservation) -> str:
    """The cancellation as it was made (by the rule of the day it was made on)."""
    currency = reservation.currency
    fee = reservation.fee or 0
    refund = reservation.total_price - fee if reservation.refund_amount is None else reservation.refund_amount
    code = reservation_code(reservation.id)
    if fee == 0:
        return context.t("cancel_done", code=code, total=format_money(refund, currency))
    key = "cancel_done_fee" if refund > 0 else "cancel_done_nothing"
    return context.t(key, code=code, fee=format_money(fee, currency), refund=format_money(refund, currency))


async def ask_cancel(update: Update, context: BotContext) -> None:
    row = await _own(update, context)
    if row is None:
        return
    await answer(update)
    user = update.effective_user
    assert user is not None
    try:
        quote = await context.services.handle(QuoteCancellation(reservation_id=row.reservation_id, guest_id=user.id))
    except DomainError as exc:  # too late, or no longer cancellable: say so, nothing changes
        await show(update, error_text(context.lang, exc))
        return
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
    await show(update, _question(context, row, quote), keyboard)


async def confirm_cancel(update: Update, context: BotContext) -> None:
    row = await _own(update, context)
    if row is None:
        return
    await answer(update)
    user = update.effective_user
    assert user is not None
    try:
        cancelled = await context.services.handle(
            CancelReservation(reservation_id=row.reservation_id, guest_id=user.id)
        )
    except DomainError as exc:
        await show(update, error_text(context.lang, exc))
        return
    await show(update, _outcome(context, cancelled))


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
