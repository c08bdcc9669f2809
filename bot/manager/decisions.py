"""Approve / Reject on each new reservation; a rejection asks for a reason: a button, or the
manager's next text (or a reply to the prompt)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot import callbacks as cb
from bot.context import BotContext
from bot.manager.shared import TEXT, user_of
from bot.notifier import decided_text
from bot.texts import error_params, error_text, reservation_code
from bot.ui import answer, show
from domain.hotel import commands as hc
from domain.hotel import model as rules
from domain.shared.errors import AlreadyDecided, DomainError, InvalidInput, NotAllowed, NotFound

REASON_BUTTONS = ("full", "maintenance", "policy")  # reason codes: each reader sees them in their language
ASKING_FOR = timedelta(minutes=15)  # how long the next text is taken as the reason
MAX_PROMPTS = 10  # open prompts remembered per manager (a reply to one of them is its reason)


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


async def ask_reason(update: Update, context: BotContext) -> None:
    reservation_id = _rid(update)
    if reservation_id is None:
        await answer(update, context.t("stale_button"), alert=True)
        return
    if not await _may_decide(update, context, reservation_id):
        return
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
    prompts = context.user_data.setdefault("reason_prompts", {})
    prompts[str(prompt.message_id)] = reservation_id.hex
    for old in list(prompts)[:-MAX_PROMPTS]:
        prompts.pop(old)
    context.user_data["asking_reason"] = {
        "prompt": prompt.message_id,
        "since": context.services.clock.now().isoformat(),
    }


def _asked_prompt(context: BotContext) -> int | None:
    """The prompt whose reason the manager's next text is: the latest, while it is fresh and no
    command has been given since."""
    asking = context.user_data.get("asking_reason") if context.user_data is not None else None
    if not isinstance(asking, dict):
        return None
    since = datetime.fromisoformat(asking["since"])
    if context.services.clock.now() - since > ASKING_FOR:
        return None
    return int(asking["prompt"])


async def _forget_prompt(context: BotContext, chat_id: int, prompt_id: int, strip_buttons: bool = True) -> None:
    """The prompt is answered or dropped: it loses its buttons and no text answers it any more."""
    assert context.user_data is not None
    context.user_data.get("reason_prompts", {}).pop(str(prompt_id), None)
    asking = context.user_data.get("asking_reason")
    if isinstance(asking, dict) and asking.get("prompt") == prompt_id:
        context.user_data.pop("asking_reason")
    if strip_buttons:
        with contextlib.suppress(BadRequest):  # already without buttons, or deleted by the manager
            await context.bot.edit_message_reply_markup(chat_id, prompt_id, reply_markup=None)


async def _reject(update: Update, context: BotContext, reservation_id: UUID, reason: str) -> bool:
    """Reject with `reason`; True when done, after saying so where the manager acted."""
    user = user_of(update)
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
        return False
    await answer(update, context.t("m_decided"))
    await show(update, context.t("m_decided"))
    return True


async def reason_picked(update: Update, context: BotContext) -> None:
    try:
        parsed = cb.pressed(update)
        reservation_id, key = parsed.as_uuid(0), parsed.as_text(1)
    except (ValueError, IndexError):
        await answer(update, context.t("stale_button"), alert=True)
        return
    if key not in REASON_BUTTONS:
        await answer(update, context.t("stale_button"), alert=True)
        return
    message = update.effective_message
    # Stored as the code, so the guest and every manager read the reason in their own language.
    done = await _reject(update, context, reservation_id, key)
    if message is not None:  # when done, the prompt itself was edited to say so, without buttons
        await _forget_prompt(context, message.chat_id, message.message_id, strip_buttons=not done)


async def reason_typed(update: Update, context: BotContext) -> None:
    """While a manager is asked for a reason, their next text is the reason (a reply to any of
    their open prompts is, too); any other text goes on to the conversation it belongs to."""
    message = update.message
    if message is None or context.user_data is None:
        return
    prompts = context.user_data.get("reason_prompts", {})
    replied = message.reply_to_message
    if replied is not None and str(replied.message_id) in prompts:
        prompt_id: int | None = replied.message_id
    else:
        prompt_id = _asked_prompt(context)
    if prompt_id is None or str(prompt_id) not in prompts:
        return
    try:
        reason = rules.rejection_reason(message.text or "")
    except InvalidInput as exc:  # too long: say why, and the next text is still the reason
        await show(update, error_text(context.lang, exc))
        raise ApplicationHandlerStop from None
    await _reject(update, context, UUID(hex=prompts[str(prompt_id)]), reason)
    await _forget_prompt(context, message.chat_id, prompt_id)
    raise ApplicationHandlerStop


async def command_given(update: Update, context: BotContext) -> None:
    """A command while asked for a reason: the manager turned to something else, so later texts
    are no reason (a reply to the prompt or its buttons still are). /cancel drops the question."""
    prompt_id = _asked_prompt(context)
    if prompt_id is None or context.user_data is None:
        return
    context.user_data.pop("asking_reason", None)
    message = update.message
    if message is not None and (message.text or " ").split()[0].split("@")[0] == "/cancel":
        reservation_hex = context.user_data.get("reason_prompts", {}).get(str(prompt_id))
        await _forget_prompt(context, message.chat_id, prompt_id)
        code = reservation_code(UUID(hex=reservation_hex)) if reservation_hex else ""
        await show(update, context.t("m_reason_stopped", code=code))
        raise ApplicationHandlerStop


def first_handlers() -> list[tuple[int, BaseHandler[Any, Any, Any]]]:
    """Run before every conversation (after the language and the size guard): an asked reason
    is answered before anything else may take the text."""
    new_message = filters.UpdateType.MESSAGE
    return [
        (-1, MessageHandler(new_message & TEXT, reason_typed)),
        (-1, MessageHandler(new_message & filters.COMMAND, command_given)),
    ]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(approve, pattern=f"^{cb.APPROVE}:"),
        CallbackQueryHandler(ask_reason, pattern=f"^{cb.REJECT}:"),
        CallbackQueryHandler(reason_picked, pattern=f"^{cb.REASON}:"),
    ]
