"""Checkout with real money (PAYMENT_PROVIDER=telegram): the invoice, Telegram's pre-checkout
query, the successful payment, /paysupport, and what the guest is told when a hold expires.

The pre-checkout query and the payment message are handled in a group ahead of every other
handler (and the query ahead of the per-user queue, see bot.processor), outside any conversation:
a guest may pay at any moment, whatever else they are doing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from telegram import LabeledPrice, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop, BaseHandler, CommandHandler, MessageHandler, PreCheckoutQueryHandler
from telegram.ext import filters as tg_filters

from bot.context import BotContext
from bot.ports import BotServices, CheckoutConfig
from bot.texts import DEFAULT, LANGUAGES, error_text, reservation_code, t
from bot.ui import show
from domain.reservation.checkout import (
    Checkout,
    CheckoutResult,
    CheckPayment,
    CompleteCheckout,
    Outcome,
    RecordInvoice,
    StartCheckout,
)
from domain.shared.errors import (
    DomainError,
)
from domain.shared.money import format_money

log = logging.getLogger(__name__)

# Telegram fails the payment if the query is not answered within 10 s: answer by this, whatever happens.
PRE_CHECKOUT_BUDGET_S = 6.0
GROUP = -4  # ahead of common.first_handlers (groups -3, -2) and the reason prompts (-1)


def _lang(context: BotContext, language_code: str | None) -> str:
    if context.user_data is not None and "lang" in context.user_data:
        return context.lang
    code = (language_code or "")[:2]
    return code if code in LANGUAGES else DEFAULT


def _config(context: BotContext) -> CheckoutConfig:
    config = context.services.checkout
    assert config is not None
    return config


def _until(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


async def send_invoice(update: Update, context: BotContext, cmd: StartCheckout, timezone: str) -> Checkout:
    """Hold the nights (StartCheckout) and send the invoice. Domain errors reach the caller
    before anything was held or sent."""
    chat = update.effective_chat
    assert chat is not None
    return await invoice_in_chat(context.bot, context.services, chat.id, context.lang, cmd, timezone)


async def invoice_in_chat(
    bot: Any, services: BotServices, chat_id: int, lang: str, cmd: StartCheckout, timezone: str
) -> Checkout:
    """The same, from anywhere the bot is at hand (the chat's confirm screen, the Mini App)."""
    config = services.checkout
    assert config is not None
    checkout: Checkout = await services.handle(cmd)
    if checkout.invoice_message_id is not None:
        return checkout  # the same confirm screen's Pay again: its invoice is already in the chat
    total = format_money(checkout.total_price, checkout.currency)
    invoice = await bot.send_invoice(
        chat_id=chat_id,
        title=t(lang, "inv_title", number=checkout.room_number, hotel=checkout.hotel_name)[:32],
        description=t(
            lang,
            "inv_description",
            hotel=checkout.hotel_name,
            number=checkout.room_number,
            check_in=checkout.check_in,
            check_out=checkout.check_out,
            nights=checkout.nights,
            guests=checkout.guests,
            until=_until(checkout.expires_at, timezone),
        )[:255],
        payload=config.payloads.sign(checkout.reservation_id),
        provider_token=config.provider_token,
        currency=checkout.currency,
        prices=[
            LabeledPrice(
                t(
                    lang,
                    "inv_price_line",
                    nights=checkout.nights,
                    price=format_money(checkout.price_per_night, checkout.currency),
                ),
                checkout.total_price,
            )
        ],
    )
    await services.handle(
        RecordInvoice(reservation_id=checkout.reservation_id, chat_id=chat_id, message_id=invoice.message_id)
    )
    log.info("invoice for %s sent (%s)", checkout.reservation_id, total)
    return checkout


async def invoice(update: Update, context: BotContext, draft: dict[str, Any], room_id: UUID) -> None:
    """The confirm screen's Pay with Telegram Payments: hold the nights, send the invoice. A reason
    not to (payments failing, an amount Telegram does not take, the room gone) is raised before
    anything is held or sent; the booking conversation shows it on the screen it belongs to."""
    user = update.effective_user
    assert user is not None
    cmd = StartCheckout(
        guest_id=user.id,
        guest_name=user.full_name,
        room_id=room_id,
        check_in=date.fromisoformat(draft["check_in"]),
        check_out=date.fromisoformat(draft["check_out"]),
        guests=draft["guests"],
        reservation_id=UUID(hex=draft["reservation_id"]),
        total=draft.get("total"),
        currency=draft.get("currency"),
    )
    checkout = await send_invoice(update, context, cmd, draft.get("tz", "UTC"))
    await show(
        update,
        context.t(
            "pay_invoice_sent",
            code=reservation_code(checkout.reservation_id),
            until=_until(checkout.expires_at, draft.get("tz", "UTC")),
            total=format_money(checkout.total_price, checkout.currency),
        ),
    )


async def pre_checkout(update: Update, context: BotContext) -> None:
    """Answered within the budget: ok only for a genuine payload, a live hold and the very amount."""
    query = update.pre_checkout_query
    assert query is not None
    lang = _lang(context, query.from_user.language_code)
    reason: str | None = None
    reservation_id = _config(context).payloads.verify(query.invoice_payload)
    if reservation_id is None:
        log.warning("pre-checkout with a payload that is not ours, from user %s", query.from_user.id)
        reason = t(lang, "pay_forged")
    else:
        try:
            async with asyncio.timeout(PRE_CHECKOUT_BUDGET_S):
                await context.services.handle(
                    CheckPayment(reservation_id=reservation_id, amount=query.total_amount, currency=query.currency)
                )
        except DomainError as exc:
            reason = error_text(lang, exc)
        except Exception:
            log.exception("pre-checkout for %s could not be checked", reservation_id)
            reason = t(lang, "pay_try_again")
    if reason is None:
        await query.answer(ok=True)
    else:
        await query.answer(ok=False, error_message=reason)
    raise ApplicationHandlerStop


def receipt_text(lang: str, checkout: Checkout, reference: str) -> str:
    return t(
        lang,
        "pay_receipt",
        code=reservation_code(checkout.reservation_id),
        hotel=checkout.hotel_name,
        number=checkout.room_number,
        check_in=checkout.check_in,
        check_out=checkout.check_out,
        guests=checkout.guests,
        total=format_money(checkout.total_price, checkout.currency),
        reference=reference,
    )


def result_text(lang: str, result: CheckoutResult, reference: str, amount: str) -> str:
    code = reservation_code(result.checkout.reservation_id) if result.checkout else "—"
    if result.outcome is Outcome.PLACED and result.checkout is not None:
        return receipt_text(lang, result.checkout, reference)
    if result.outcome is Outcome.REFUNDED:
        return t(lang, "pay_late_refunded", code=code, amount=amount, reference=reference)
    return t(lang, "pay_late_refund_pending", code=code, amount=amount, reference=reference)


async def paid(update: Update, context: BotContext) -> None:
    """`successful_payment`: the money is taken. Record it, place the reservation (or refund), and
    tell the guest with the payment reference. A repeated delivery changes nothing."""
    message = update.effective_message
    assert message is not None and message.successful_payment is not None
    payment = message.successful_payment
    user = update.effective_user
    assert user is not None
    lang = _lang(context, user.language_code)
    reference = payment.provider_payment_charge_id or payment.telegram_payment_charge_id
    amount = format_money(payment.total_amount, payment.currency)
    reservation_id = _config(context).payloads.verify(payment.invoice_payload)
    if reservation_id is None:
        # Telegram only reports payments for invoices this bot sent; this one is not ours.
        log.error("successful_payment %s with a foreign payload", payment.telegram_payment_charge_id)
        await message.reply_text(t(lang, "pay_unknown", reference=reference))
        raise ApplicationHandlerStop
    try:
        result: CheckoutResult = await context.services.handle(
            CompleteCheckout(
                reservation_id=reservation_id,
                guest_id=user.id,
                amount=payment.total_amount,
                currency=payment.currency,
                telegram_charge_id=payment.telegram_payment_charge_id,
                provider_charge_id=payment.provider_payment_charge_id,
            )
        )
    except Exception:
        log.exception("payment %s for %s not settled now; the sweep finishes it", reference, reservation_id)
        await message.reply_text(t(lang, "pay_pending", reference=reference))
        raise ApplicationHandlerStop from None
    await message.reply_text(result_text(lang, result, reference, amount))
    raise ApplicationHandlerStop


async def paysupport(update: Update, context: BotContext) -> None:
    config = context.services.checkout
    text = (config.support_text if config else None) or context.t("paysupport")
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


# --- timed work: told by the scheduler through the notifier's bot ----------------------------


async def hold_expired(notifier: Any, checkout: Checkout) -> None:
    """Withdraw the unpaid invoice (so it cannot be paid later) and tell the guest."""
    if checkout.chat_id is not None and checkout.invoice_message_id is not None:
        with contextlib.suppress(BadRequest, Forbidden):
            await notifier.bot.delete_message(chat_id=checkout.chat_id, message_id=checkout.invoice_message_id)
    lang = await notifier.users.language(checkout.guest_id) or DEFAULT
    await notifier.send(checkout.guest_id, t(lang, "pay_hold_expired", code=reservation_code(checkout.reservation_id)))


async def settled_by_sweep(notifier: Any, result: CheckoutResult) -> None:
    """A payment the sweep placed or refunded (after a crash, or a refund that had to wait)."""
    checkout = result.checkout
    if checkout is None:
        return
    lang = await notifier.users.language(checkout.guest_id) or DEFAULT
    amount = format_money(checkout.total_price, checkout.currency)
    await notifier.send(checkout.guest_id, result_text(lang, result, reservation_code(checkout.reservation_id), amount))


def first_handlers() -> list[tuple[int, BaseHandler[Any, Any, Any]]]:
    return [
        (GROUP, PreCheckoutQueryHandler(pre_checkout)),
        (GROUP, MessageHandler(tg_filters.SUCCESSFUL_PAYMENT, paid)),
    ]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CommandHandler("paysupport", paysupport)]
