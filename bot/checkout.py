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
from bot.stay_terms import breakdown, invoice_lines, policy_text
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
from domain.shared.terms import CancellationPolicy, HotelTerms, Quote

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


def _needs_terms(checkout: Checkout) -> bool:
    return checkout.quote is None or checkout.policy is None


def booked(checkout: Checkout, terms: HotelTerms | None) -> tuple[Quote | None, CancellationPolicy]:
    """The price lines and the policy the nights were held under. What a stored checkout lacks
    comes from the hotel's `terms`: the lines quoted again (the same call), trusted only if they
    add up to the very total held (else None), and the policy (the one the reservation took a
    moment before, unless the hotel changed it since)."""
    terms = terms or HotelTerms()
    quote = checkout.quote
    if quote is None:
        quote = terms.quote(
            checkout.room_id, checkout.price_per_night, checkout.check_in, checkout.check_out, checkout.guests
        )
        quote = quote if quote.total == checkout.total_price else None
    return quote, checkout.policy or terms.policy


def _prices(lang: str, checkout: Checkout, quote: Quote | None) -> list[LabeledPrice]:
    """A line per rate (they add up to the total), or the stay as one line."""
    if quote is None:
        return [LabeledPrice(t(lang, "inv_stay_line", nights=checkout.nights), checkout.total_price)]
    return [LabeledPrice(label, amount) for label, amount in invoice_lines(lang, quote, checkout.currency)]


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
    terms = await services.availability.terms(checkout.hotel_id) if checkout.quote is None else None
    quote, _ = booked(checkout, terms)
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
        prices=_prices(lang, checkout, quote),
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


class Booked:
    """What a paid checkout was booked on, for its receipt: the price lines (None: not known),
    the cancellation policy, and the hotel-local day the receipt is written."""

    def __init__(self, quote: Quote | None, policy: CancellationPolicy, today: date) -> None:
        self.quote, self.policy, self.today = quote, policy, today


async def booked_for_receipt(checkout: Checkout, terms_of: Any, timezone: str | None, now: datetime) -> Booked:
    """`terms_of(hotel_id)` is asked only for what a stored checkout lacks."""
    terms = await terms_of(checkout.hotel_id) if _needs_terms(checkout) else None
    quote, policy = booked(checkout, terms)
    return Booked(quote, policy, now.astimezone(ZoneInfo(timezone or "UTC")).date())


def receipt_text(lang: str, checkout: Checkout, reference: str, terms: Booked) -> str:
    quote = terms.quote
    if quote is None:
        lines = t(lang, "inv_stay_line", nights=checkout.nights)
        quote = Quote.flat(checkout.nights, checkout.price_per_night)  # for the policy's first night
    else:
        lines = breakdown(lang, quote, checkout.currency)
    return t(
        lang,
        "pay_receipt",
        code=reservation_code(checkout.reservation_id),
        hotel=checkout.hotel_name,
        number=checkout.room_number,
        check_in=checkout.check_in,
        check_out=checkout.check_out,
        guests=checkout.guests,
        breakdown=lines,
        total=format_money(checkout.total_price, checkout.currency),
        policy=policy_text(lang, terms.policy, quote, checkout.check_in, checkout.currency, terms.today),
        reference=reference,
    )


def result_text(lang: str, result: CheckoutResult, reference: str, amount: str, terms: Booked | None) -> str:
    code = reservation_code(result.checkout.reservation_id) if result.checkout else "—"
    if result.outcome is Outcome.PLACED and result.checkout is not None and terms is not None:
        return receipt_text(lang, result.checkout, reference, terms)
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
    terms = None
    if result.checkout is not None:
        availability = context.services.availability
        timezone = await availability.hotel_timezone(result.checkout.hotel_id)
        terms = await booked_for_receipt(result.checkout, availability.terms, timezone, context.services.clock.now())
    await message.reply_text(result_text(lang, result, reference, amount, terms))
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
    hotel = await notifier.hotels.hotel(checkout.hotel_id)
    now = datetime.now(ZoneInfo("UTC"))
    terms = await booked_for_receipt(checkout, notifier.hotels.terms, hotel.timezone if hotel else None, now)
    text = result_text(lang, result, reservation_code(checkout.reservation_id), amount, terms)
    await notifier.send(checkout.guest_id, text)


def first_handlers() -> list[tuple[int, BaseHandler[Any, Any, Any]]]:
    return [
        (GROUP, PreCheckoutQueryHandler(pre_checkout)),
        (GROUP, MessageHandler(tg_filters.SUCCESSFUL_PAYMENT, paid)),
    ]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CommandHandler("paysupport", paysupport)]
