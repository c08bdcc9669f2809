"""Checkout with real money (Telegram Payments): the reservation context's side.

confirm → `start_checkout` holds the nights (PENDING_PAYMENT, unique room-night as always) until
`expires_at` and keeps the offer → the bot sends the invoice → `check_payment` answers Telegram's
pre-checkout query (read only) → `complete_checkout` on `successful_payment`: the payment is
recorded first (idempotent on Telegram's charge id), then the reservation is placed; a payment
that arrives after the hold was released is placed if the nights are still free, otherwise
refunded at once. `settle_checkouts` (timed) releases expired holds and finishes whatever a crash
left half done: a recorded payment is never left without a reservation or a refund.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.reservation.handlers import _complete, requested
from domain.reservation.model import BookingPolicy, CatalogRoom, Reservation, ReservationStatus
from domain.reservation.ports import ReservationUnitOfWork
from domain.shared.currencies import telegram_currency
from domain.shared.errors import (
    AmountOutsideLimits,
    CurrencyNotPayable,
    HoldExpired,
    InvoiceAmountChanged,
    InvoiceNotValid,
    NotFound,
    PaymentsBusy,
    PaymentUnavailable,
    RoomTaken,
)
from domain.shared.events import Command
from domain.shared.ports import Clock
from domain.shared.terms import CancellationPolicy, Quote

log = logging.getLogger(__name__)


class CheckoutStatus(enum.StrEnum):
    HELD = "held"  # nights held, invoice payable
    RELEASED = "released"  # hold expired unpaid; a late payment is still placed or refunded
    PAID = "paid"  # paid and placed
    REFUNDING = "refunding"  # paid too late for nights taken meanwhile: being refunded
    REFUNDED = "refunded"  # paid too late for nights taken meanwhile: refunded


@dataclass
class Checkout:
    reservation_id: UUID
    guest_id: int
    guest_name: str
    hotel_id: int
    hotel_name: str
    room_id: UUID
    room_number: str
    check_in: date
    check_out: date
    guests: int
    price_per_night: int
    total_price: int
    currency: str
    created_at: datetime
    expires_at: datetime
    status: CheckoutStatus
    chat_id: int | None = None
    invoice_message_id: int | None = None
    quote: Quote | None = None  # the price lines the invoice shows (None: one flat price a night)
    # The cancellation policy the nights were held under (the reservation's own), so that a late
    # payment is placed on it. None on checkouts stored before policies were kept: the default one.
    policy: CancellationPolicy | None = None

    @property
    def price_lines(self) -> Quote:
        return self.quote or Quote.flat(self.nights, self.price_per_night)

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def payable(self, now: datetime) -> bool:
        return self.status is CheckoutStatus.HELD and now < self.expires_at


class Checkouts(Protocol):
    async def add(self, checkout: Checkout) -> None: ...
    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Checkout | None: ...
    async def save(self, checkout: Checkout) -> None: ...
    async def to_settle(self, now: datetime, released_since: datetime) -> list[Checkout]:
        """Held and refunding checkouts, and those released after `released_since` (a late
        payment may still come for them)."""
        ...


class CheckoutUnitOfWork(ReservationUnitOfWork, Protocol):
    @property
    def checkouts(self) -> Checkouts: ...


class CheckoutPayments(Protocol):
    """The payment context as a Telegram checkout needs it."""

    async def accepting(self) -> bool:
        """False while the payment side is failing (breaker open): take no new checkout."""
        ...

    async def record(
        self,
        *,
        reservation_id: UUID,
        guest_id: int,
        amount: int,
        currency: str,
        telegram_charge_id: str,
        provider_charge_id: str,
    ) -> UUID | None:
        """Record a charge Telegram reported; the same charge id twice is one payment. Returns the
        payment id, or None when the charge was refunded at once (a second charge for a booking
        that already has one)."""
        ...

    async def approved_payment(self, reservation_id: UUID) -> UUID | None: ...

    async def refund_now(self, reservation_id: UUID) -> bool:
        """Refund the reservation's payment through the provider; False when the provider cannot
        be reached now (the sweep tries again)."""
        ...


@dataclass(frozen=True, kw_only=True)
class StartCheckout(Command):
    guest_id: int
    guest_name: str
    room_id: UUID
    check_in: date
    check_out: date
    guests: int
    reservation_id: UUID
    # The total the confirm screen showed, as in PlaceReservation: the invoice is sent for exactly
    # this or not at all (QuoteChanged). None accepts the catalog's current terms.
    total: int | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteCheckout(Command):
    reservation_id: UUID
    guest_id: int
    amount: int
    currency: str
    telegram_charge_id: str
    provider_charge_id: str


@dataclass(frozen=True, kw_only=True)
class CheckPayment(Command):
    """Telegram's pre-checkout query, as a question: may this invoice be paid now?"""

    reservation_id: UUID
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class SettleCheckouts(Command):
    """The timed sweep of Telegram Payments checkouts (see settle_checkouts)."""


@dataclass(frozen=True, kw_only=True)
class RecordInvoice(Command):
    reservation_id: UUID
    chat_id: int
    message_id: int


class Outcome(enum.StrEnum):
    PLACED = "placed"
    REFUNDED = "refunded"  # paid too late, nights taken: refunded
    REFUND_PENDING = "refund_pending"  # the same, the provider could not be reached yet


@dataclass(frozen=True)
class CheckoutResult:
    outcome: Outcome
    checkout: Checkout | None
    payment_id: UUID | None
    changed: bool = True  # False: settled before (a repeated delivery, another replica's sweep)


# --- the invoice payload: the reservation id, signed ------------------------------------------


class InvoicePayloads:
    """`<reservation id>.<HMAC-SHA256>` in base64url (Telegram allows 128 bytes): a payload cannot
    be forged, nor an invoice's payload replayed for another reservation."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _mac(self, raw: bytes) -> bytes:
        return hmac.new(self.secret, b"invoice:" + raw, hashlib.sha256).digest()[:24]

    def sign(self, reservation_id: UUID) -> str:
        raw = reservation_id.bytes
        return base64.urlsafe_b64encode(raw + self._mac(raw)).decode().rstrip("=")

    def verify(self, payload: str) -> UUID | None:
        try:
            blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (ValueError, TypeError):
            return None
        if len(blob) != 16 + 24:
            return None
        raw = blob[:16]
        # Compared as text, so an altered character is refused even where base64 would decode it
        # to the same bytes (the spare bits of the last character).
        return UUID(bytes=raw) if hmac.compare_digest(payload, self.sign(UUID(bytes=raw))) else None


# --- use cases --------------------------------------------------------------------------------


def payable_total(currency: str, total: int) -> None:
    """Telegram's limits for the currency; raised before any hold or invoice."""
    known = telegram_currency(currency)
    if known is None:
        raise CurrencyNotPayable(currency=currency)
    if not known.accepts(total):
        raise AmountOutsideLimits(
            currency=currency,
            min=known.min_amount,
            max=known.max_amount,
            total=total,
        )


async def start_checkout(
    cmd: StartCheckout,
    uow: CheckoutUnitOfWork,
    payments: CheckoutPayments,
    clock: Clock,
    policy: BookingPolicy,
    hold: timedelta,
) -> Checkout:
    """Hold the nights for `hold` and keep the offer; the same request twice is one checkout."""
    async with uow:
        existing = await uow.checkouts.get(cmd.reservation_id)
    if existing is not None:
        if existing.payable(clock.now()):
            return existing
        raise HoldExpired()
    if not await payments.accepting():
        raise PaymentsBusy()
    now = clock.now()
    async with uow:
        room, reservation = await requested(cmd, uow, now, policy)
        payable_total(reservation.currency, reservation.total_price)
        checkout = Checkout(
            reservation_id=reservation.id,
            guest_id=reservation.guest_id,
            guest_name=reservation.guest_name,
            hotel_id=room.hotel_id,
            hotel_name=room.hotel_name,
            room_id=room.room_id,
            room_number=room.number,
            check_in=reservation.check_in,
            check_out=reservation.check_out,
            guests=reservation.guests,
            price_per_night=room.price_per_night,
            total_price=reservation.total_price,
            currency=reservation.currency,
            created_at=now,
            expires_at=now + hold,
            status=CheckoutStatus.HELD,
            quote=reservation.quote,
            policy=reservation.policy,
        )
        await uow.nights.hold(reservation)  # first: a request that lost them writes nothing else
        await uow.reservations.add(reservation)
        await uow.checkouts.add(checkout)
        await uow.commit()
    return checkout


async def record_invoice(uow: CheckoutUnitOfWork, reservation_id: UUID, chat_id: int, message_id: int) -> None:
    """Where the invoice was sent, so that it can be withdrawn when the hold expires."""
    async with uow:
        checkout = await uow.checkouts.get(reservation_id, for_update=True)
        if checkout is not None:
            checkout.chat_id, checkout.invoice_message_id = chat_id, message_id
            await uow.checkouts.save(checkout)
            await uow.commit()


async def check_payment(
    uow: CheckoutUnitOfWork, clock: Clock, reservation_id: UUID, amount: int, currency: str
) -> Checkout:
    """Telegram's pre-checkout query: may the guest pay this now? Reads only (it must answer in
    well under 10 s); raises the reason to show the guest otherwise."""
    async with uow:
        checkout = await uow.checkouts.get(reservation_id)
    if checkout is None:
        raise InvoiceNotValid()
    if not checkout.payable(clock.now()):
        raise HoldExpired()
    if amount != checkout.total_price or currency.upper() != checkout.currency.upper():
        raise InvoiceAmountChanged()
    return checkout


async def complete_checkout(
    cmd: CompleteCheckout, uow: CheckoutUnitOfWork, payments: CheckoutPayments, clock: Clock
) -> CheckoutResult:
    """`successful_payment`: the money is taken. Record it first (so a crash after this line is
    finished by the sweep), then place the reservation or, if that can no longer be, refund."""
    payment_id = await payments.record(
        reservation_id=cmd.reservation_id,
        guest_id=cmd.guest_id,
        amount=cmd.amount,
        currency=cmd.currency,
        telegram_charge_id=cmd.telegram_charge_id,
        provider_charge_id=cmd.provider_charge_id,
    )
    async with uow:
        checkout = await uow.checkouts.get(cmd.reservation_id)
    if payment_id is None:  # a second charge for one booking: refunded already
        return CheckoutResult(Outcome.REFUNDED, checkout, None)
    return await settle_paid(uow, payments, cmd.reservation_id, payment_id)


async def settle_paid(
    uow: CheckoutUnitOfWork, payments: CheckoutPayments, reservation_id: UUID, payment_id: UUID
) -> CheckoutResult:
    """A paid checkout becomes a placed reservation, once; if its nights were released and taken
    since, the payment is refunded. Safe to run again at any point."""
    async with uow:
        checkout = await uow.checkouts.get(reservation_id, for_update=True)
        reservation = await uow.reservations.get(reservation_id, for_update=True)
        if checkout is None:
            log.error("payment %s for unknown checkout %s: refunding it", payment_id, reservation_id)
        elif checkout.status is CheckoutStatus.REFUNDED:
            return CheckoutResult(Outcome.REFUNDED, checkout, payment_id, changed=False)
        elif checkout.status is CheckoutStatus.REFUNDING:
            pass  # decided before: only the refund is left to do
        elif reservation is not None and reservation.status is not ReservationStatus.PENDING_PAYMENT:
            return CheckoutResult(Outcome.PLACED, checkout, payment_id, changed=False)  # placed before
        elif reservation is not None:
            await _place(uow, checkout, payment_id)
            return CheckoutResult(Outcome.PLACED, checkout, payment_id)
    if checkout is not None and checkout.status is not CheckoutStatus.REFUNDING:
        # The hold was released: place it again if every night is still free.
        try:
            async with uow:
                current = await uow.checkouts.get(reservation_id, for_update=True)
                assert current is not None
                if await uow.reservations.get(reservation_id) is None:
                    late = _reservation_of(current)
                    await uow.nights.hold(late)
                    await uow.reservations.add(late)
                await _place(uow, current, payment_id)
                log.info("late payment for %s: the nights were still free, placed", reservation_id)
                return CheckoutResult(Outcome.PLACED, current, payment_id)
        except RoomTaken:
            log.warning("late payment for %s: the nights were taken meanwhile, refunding", reservation_id)
            async with uow:
                current = await uow.checkouts.get(reservation_id, for_update=True)
                if current is not None:
                    current.status = CheckoutStatus.REFUNDING  # decided: never placed later
                    await uow.checkouts.save(current)
                    await uow.commit()
                    checkout = current
    return await _refund(uow, payments, reservation_id, checkout, payment_id)


async def _place(uow: CheckoutUnitOfWork, checkout: Checkout, payment_id: UUID) -> None:
    await _complete(uow, checkout.reservation_id, payment_id, await _room(uow, checkout))
    checkout.status = CheckoutStatus.PAID
    await uow.checkouts.save(checkout)
    await uow.commit()


async def _room(uow: CheckoutUnitOfWork, checkout: Checkout) -> CatalogRoom:
    room = await uow.catalog.get(checkout.room_id)
    if room is None:
        raise NotFound(what="room")
    return room


async def _refund(
    uow: CheckoutUnitOfWork,
    payments: CheckoutPayments,
    reservation_id: UUID,
    checkout: Checkout | None,
    payment_id: UUID,
) -> CheckoutResult:
    try:
        refunded = await payments.refund_now(reservation_id)
    except (PaymentUnavailable, PaymentsBusy):
        refunded = False
    if not refunded:
        return CheckoutResult(Outcome.REFUND_PENDING, checkout, payment_id)
    if checkout is not None:
        async with uow:
            current = await uow.checkouts.get(reservation_id, for_update=True)
            if current is not None:
                current.status = CheckoutStatus.REFUNDED
                await uow.checkouts.save(current)
                await uow.commit()
                checkout = current
    return CheckoutResult(Outcome.REFUNDED, checkout, payment_id)


def _reservation_of(checkout: Checkout) -> Reservation:
    return Reservation(
        id=checkout.reservation_id,
        guest_id=checkout.guest_id,
        guest_name=checkout.guest_name,
        hotel_id=checkout.hotel_id,
        room_id=checkout.room_id,
        check_in=checkout.check_in,
        check_out=checkout.check_out,
        guests=checkout.guests,
        total_price=checkout.total_price,
        currency=checkout.currency,
        status=ReservationStatus.PENDING_PAYMENT,
        created_at=checkout.created_at,
        quote=checkout.quote,
        policy=checkout.policy or CancellationPolicy(),
    )


@dataclass
class Settled:
    released: list[Checkout]  # holds that expired unpaid: tell the guest, withdraw the invoice
    results: list[CheckoutResult]  # payments the sweep placed or refunded just now


async def settle_checkouts(
    uow: CheckoutUnitOfWork, payments: CheckoutPayments, clock: Clock, late_window: timedelta = timedelta(days=2)
) -> Settled:
    """The timed sweep. Never decides "not paid" for good from local rows: a released hold keeps
    its offer, so a payment reported later (or recorded before a crash) is still placed or refunded.
    - a checkout with a recorded payment and no reservation placed → placed (or refunded);
    - a held checkout past its expiry and unpaid → nights released, the guest told."""
    now = clock.now()
    async with uow:
        due = await uow.checkouts.to_settle(now, now - late_window)
    settled = Settled([], [])
    for checkout in due:
        payment_id = await payments.approved_payment(checkout.reservation_id)
        if payment_id is not None:
            result = await settle_paid(uow, payments, checkout.reservation_id, payment_id)
            # The guest hears of what changed; a refund still waiting on the provider was announced.
            if result.changed and result.outcome is not Outcome.REFUND_PENDING:
                settled.results.append(result)
            continue
        if checkout.status is not CheckoutStatus.HELD or now < checkout.expires_at:
            continue
        async with uow:
            current = await uow.checkouts.get(checkout.reservation_id, for_update=True)
            if current is None or current.status is not CheckoutStatus.HELD:
                continue
            reservation = await uow.reservations.get(checkout.reservation_id, for_update=True)
            if reservation is not None and reservation.status is ReservationStatus.PENDING_PAYMENT:
                await uow.nights.release(reservation.id)
                await uow.reservations.delete(reservation.id)
            current.status = CheckoutStatus.RELEASED
            await uow.checkouts.save(current)
            await uow.commit()
        settled.released.append(current)
    return settled
