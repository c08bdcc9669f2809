"""Telegram Payments: the payment context's side. Telegram takes the money in its own form; this
context records each charge it reports (idempotent on Telegram's charge id, keeping both charge
ids) and refunds through the provider's API, behind the same guard as every provider call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.payment.model import Payment, PaymentStatus
from domain.payment.ports import PaymentProvider, Payments, PaymentUnitOfWork
from domain.shared.events import Command
from domain.shared.ports import Clock

log = logging.getLogger(__name__)


class ChargeLookup(Payments, Protocol):
    async def by_telegram_charge(self, telegram_charge_id: str) -> Payment | None: ...


class CheckoutPaymentUnitOfWork(PaymentUnitOfWork, Protocol):
    @property
    def payments(self) -> ChargeLookup: ...


@dataclass(frozen=True, kw_only=True)
class RecordTelegramPayment(Command):
    reservation_id: UUID
    guest_id: int
    amount: int
    currency: str
    telegram_charge_id: str
    provider_charge_id: str


async def record_telegram_payment(
    cmd: RecordTelegramPayment, uow: CheckoutPaymentUnitOfWork, provider: PaymentProvider, clock: Clock
) -> Payment | None:
    """One payment row per Telegram charge. A second, different charge for a reservation that is
    already paid is refunded at once (None)."""
    async with uow:
        existing = await uow.payments.by_telegram_charge(cmd.telegram_charge_id)
        if existing is not None:
            return existing
        payment = Payment.approved(
            reservation_id=cmd.reservation_id,
            guest_id=cmd.guest_id,
            amount=cmd.amount,
            currency=cmd.currency,
            provider_ref=cmd.provider_charge_id,
            idempotency_key=f"telegram:{cmd.telegram_charge_id}"[:80],
            now=clock.now(),
            telegram_charge_id=cmd.telegram_charge_id,
        )
        # PaymentApproved is not published here: the views learn of the payment from
        # ReservationPlaced, and a late payment that is refunded must not show up as a booking.
        payment.events.clear()
        if await uow.payments.add(payment):
            await uow.commit()
            return payment
        again = await uow.payments.by_telegram_charge(cmd.telegram_charge_id)
    if again is not None:  # the same charge, recorded a moment ago by a concurrent delivery
        return again
    log.error("second charge %s for reservation %s: refunding it", cmd.telegram_charge_id, cmd.reservation_id)
    await provider.refund(
        key=f"refund:telegram:{cmd.telegram_charge_id}"[:80],
        charge_ref=cmd.provider_charge_id,
        amount=cmd.amount,
        currency=cmd.currency,
    )
    return None


async def refund_now(
    reservation_id: UUID, uow: CheckoutPaymentUnitOfWork, provider: PaymentProvider, clock: Clock
) -> Payment | None:
    """Refund a payment whose reservation could not be placed (paid after its nights were taken).
    Idempotent on the payment's refund key. The guest was told by the bot; no reservation ever
    existed, so no PaymentRefunded event is published for the views to show."""
    async with uow:
        payment = await uow.payments.by_reservation(reservation_id)
    if payment is None or payment.status is not PaymentStatus.APPROVED:
        return payment
    refund_ref = await provider.refund(
        key=payment.refund_key, charge_ref=payment.provider_ref, amount=payment.amount, currency=payment.currency
    )
    async with uow:
        current = await uow.payments.by_reservation(reservation_id, for_update=True)
        if current is not None and current.status is PaymentStatus.APPROVED:
            current.refunded(refund_ref, clock.now())
            current.events.clear()
            await uow.payments.save(current)
            await uow.commit()
    return current
