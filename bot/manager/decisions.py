"""Approve / Reject on each new reservation; a rejection asks for a reason (a button or a reply)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler, MessageHandler, filters

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import END, TEXT, user_of
from bot.notifier import decided_text
from bot.texts import error_params, error_text, reservation_code
from bot.ui import answer, show
from domain.hotel import commands as hc
from domain.shared.errors import AlreadyDecided, DomainError, NotAllowed, NotFound

REASON = 10
REASON_BUTTONS = ("full", "maintenance", "policy")  # reason codes: each reader sees them in their language


def _rid(update: Update) -> UUID | None:
    try:
        return cb.pressed(update).as_uuid()
    except (ValueError, IndexError):
        return None


async def _show_decided(update: Update, context: BotContext, reservation_id: UUID) -> None:
    request = await context.services.hotels.approval(reservation_id)
    hotel = await context.services.hotels.hotel(request.hotel_id) if request else None
    if request is not None and hotel is not None:
        await show(update, decided_text(context.lang, request, hotel))


async def _refuse(update: Update, context: BotContext, exc: DomainError, reservation_id: UUID | None) -> None:
    if isinstance(exc, AlreadyDecided):
        await answer(update, context.t("m_not_pending", status=error_params(context.lang, exc)["status"]), alert=True)
        if reservation_id is not None:
            await _show_decided(update, context, reservation_id)
    elif isinstance(exc, NotAllowed | NotFound):
        await answer(update, context.t("not_allowed"), alert=True)
    else:
        await answer(update, error_text(context.lang, exc), alert=True)


async def approve(update: Update, context: BotContext) -> None:
    reservation_id = _rid(update)
    if reservation_id is None:
        await answer(update, context.t("stale_button"), alert=True)
        return
    user = user_of(update)
    try:
        await context.services.handle(
            hc.ApproveReservation(reservation_id=reservation_id, manager_id=user.id, manager_name=user.full_name)
        )
    except DomainError as exc:
        await _refuse(update, context, exc, reservation_id)
        return
    await answer(update, context.t("m_decided"))
    await _show_decided(update, context, reservation_id)


async def _may_decide(update: Update, context: BotContext, reservation_id: UUID) -> bool:
    request = await context.services.hotels.approval(reservation_id)
    hotel = await context.services.hotels.hotel(request.hotel_id) if request else None
    if request is None or hotel is None or not hotel.is_manager(user_of(update).id):
        await answer(update, context.t("not_allowed"), alert=True)
        return False
    if request.status.value != "pending":
        await _refuse(update, context, AlreadyDecided(status=request.status.value), reservation_id)
        return False
    return True


async def ask_reason(update: Update, context: BotContext) -> int:
    reservation_id = _rid(update)
    if reservation_id is None:
        await answer(update, context.t("stale_button"), alert=True)
        return END
    if not await _may_decide(update, context, reservation_id):
        return END
    await answer(update)
    assert context.user_data is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.t(f"reason_{key}"), callback_data=cb.pack(cb.REASON, reservation_id, key))]
            for key in REASON_BUTTONS
        ]
    )
    chat = update.effective_chat
    assert chat is not None
    prompt = await context.bot.send_message(
        chat.id, context.t("m_ask_reason", code=reservation_code(reservation_id)), reply_markup=keyboard
    )
    # A typed reason must answer this very prompt (a reply to it), so no other text the manager
    # sends later — a room number, a price — is ever mistaken for a rejection reason.
    context.user_data["rejecting"] = {"id": reservation_id.hex, "prompt": prompt.message_id}
    return REASON


async def _reject(update: Update, context: BotContext, reservation_id: UUID, reason: str) -> int:
    user = user_of(update)
    assert context.user_data is not None
    context.user_data.pop("rejecting", None)
    try:
        await context.services.handle(
            hc.RejectReservation(
                reservation_id=reservation_id, manager_id=user.id, manager_name=user.full_name, reason=reason
            )
        )
    except DomainError as exc:
        if update.callback_query is not None:
            await _refuse(update, context, exc, None)
        else:
            await show(update, error_text(context.lang, exc))
        return END
    await answer(update, context.t("m_decided"))
    await show(update, context.t("m_decided"))
    return END


async def reason_picked(update: Update, context: BotContext) -> int:
    try:
        parsed = cb.pressed(update)
        reservation_id, key = parsed.as_uuid(0), parsed.as_text(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return END
    if key not in REASON_BUTTONS:
        await answer(update, context.t("stale_button"), alert=True)
        return END
    # Stored as the code, so the guest and every manager read the reason in their own language.
    return await _reject(update, context, reservation_id, key)


async def reason_typed(update: Update, context: BotContext) -> int:
    assert context.user_data is not None and update.message is not None
    rejecting = context.user_data.get("rejecting")
    replied_to = update.message.reply_to_message
    if not isinstance(rejecting, dict) or replied_to is None or replied_to.message_id != rejecting.get("prompt"):
        return REASON
    reason = (update.message.text or "").strip()
    if not reason or len(reason) > 200:
        await show(update, context.t("too_long", limit=200))
        return REASON
    return await _reject(update, context, UUID(hex=rejecting["id"]), reason)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(approve, pattern=f"^{cb.APPROVE}:"),
        # Takes only its buttons and replies to its own prompt, so it never stands in the way
        # of the manager's other conversations; an unanswered prompt lapses after 15 minutes.
        ConversationHandler(
            entry_points=[CallbackQueryHandler(ask_reason, pattern=f"^{cb.REJECT}:")],
            states={
                REASON: [
                    CallbackQueryHandler(reason_picked, pattern=f"^{cb.REASON}:"),
                    MessageHandler(TEXT & filters.REPLY, reason_typed),
                ]
            },
            fallbacks=[],
            name="reject",
            persistent=True,
            allow_reentry=True,
            conversation_timeout=15 * 60,
        ),
    ]
