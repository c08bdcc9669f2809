"""The payment context: a synchronous charge while a reservation is placed, refunds on events."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from domain.payment.model import Payment, PaymentStatus
from domain.payment.ports import PaymentProvider, PaymentUnitOfWork
from domain.shared.errors import PaymentUnavailable
from domain.shared.events import Command
from domain.shared.ports import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ChargePayment(Command):
    reservation_id: UUID
    guest_id: int
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class RefundPayment(Command):
    """Give back what was paid for a reservation that will not happen. `event_id` names the
    message that asked (the inbox records it), so asking twice refunds once."""

    reservation_id: UUID
    event_id: UUID
    # What goes back, in the payment's currency; None: everything (a rejection, a v1 cancellation).
    # A cancellation fee or a no-show keeps the rest; 0 gives nothing back (non-refundable).
    amount: int | None = None


async def charge(cmd: ChargePayment, uow: PaymentUnitOfWork, provider: PaymentProvider, clock: Clock) -> Payment:
    """Charge once per reservation. The provider is called outside any transaction; it is
    idempotent on the reservation id, so a retry after a crash never charges twice. When the
    provider's answer is lost (a timeout, an error) or the payment cannot be recorded, the charge
    is reversed by its key, so a guest told "nothing was charged" was not."""
    async with uow:
        existing = await uow.payments.by_reservation(cmd.reservation_id)
    if existing is not None:
        return existing
    key = f"charge:{cmd.reservation_id}"
    try:
        provider_ref = await provider.charge(key=key, amount=cmd.amount, currency=cmd.currency)
    except PaymentUnavailable:
        await _reverse(provider, key, cmd.amount, cmd.currency)
        raise
    payment = Payment.approved(
        reservation_id=cmd.reservation_id,
        guest_id=cmd.guest_id,
        amount=cmd.amount,
        currency=cmd.currency,
        provider_ref=provider_ref,
        idempotency_key=key,
        now=clock.now(),
    )
    try:
        async with uow:
            if not await uow.payments.add(payment):
                stored = await uow.payments.by_reservation(cmd.reservation_id)
                assert stored is not None
                return stored
            await uow.commit()
    except Exception as exc:
        log.error("payment for %s taken but not recorded (%r): reversing it", cmd.reservation_id, exc)
        await _reverse(provider, key, cmd.amount, cmd.currency)
        raise PaymentUnavailable() from exc
    return payment


async def _reverse(provider: PaymentProvider, key: str, amount: int, currency: str) -> None:
    try:
        await provider.void(key=key, amount=amount, currency=currency)
    except Exception:
        # The one case that needs a person: money may have been taken for nothing.
        log.error("could not reverse charge %s (%s %s): reconcile with the provider", key, amount, currency)


async def approved_payment(reservation_id: UUID, uow: PaymentUnitOfWork) -> Payment | None:
    async with uow:
        payment = await uow.payments.by_reservation(reservation_id)
    return payment if payment is not None and payment.status is PaymentStatus.APPROVED else None


async def refund_for(
    event: RefundPayment,
    consumer: str,
    uow: PaymentUnitOfWork,
    provider: PaymentProvider,
    clock: Clock,
) -> Payment | None:
    """Policy: a cancelled or rejected reservation, or a no-show, is refunded once: in full, or
    what the cancellation policy gives back (a part of the payment goes the same way as all of it).

    The provider is called between two short transactions, never inside one (a slow provider
    must not hold a database connection); the refund is idempotent on the payment's refund key,
    so a crash or a competing consumer in between can only ask again, never refund twice."""
    async with uow:
        if await uow.seen(consumer, event.event_id):
            return None
        payment = await uow.payments.by_reservation(event.reservation_id)
    refund_ref = None
    amount = 0
    if payment is not None and payment.status is PaymentStatus.APPROVED:
        amount = payment.amount if event.amount is None else max(0, min(event.amount, payment.amount))
    if payment is not None and amount > 0:
        refund_ref = await provider.refund(
            key=payment.refund_key,
            charge_ref=payment.provider_ref,
            amount=amount,
            currency=payment.currency,
        )
    async with uow:
        await uow.lock(str(event.reservation_id))
        if not await uow.first_delivery(consumer, event.event_id):
            return None
        current = await uow.payments.by_reservation(event.reservation_id, for_update=True)
        if refund_ref is not None and current is not None and current.status is PaymentStatus.APPROVED:
            current.refunded(refund_ref, clock.now(), amount)
            await uow.payments.save(current)
        await uow.commit()
    return current if refund_ref is not None else None
