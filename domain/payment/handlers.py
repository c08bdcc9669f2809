"""The payment context: a synchronous charge while a reservation is placed, refunds on events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.payment.model import Payment, PaymentStatus
from domain.payment.ports import PaymentProvider, PaymentUnitOfWork
from domain.reservation.events import ReservationCancelled, ReservationRejected
from domain.shared.events import Command
from domain.shared.ports import Clock


@dataclass(frozen=True, kw_only=True)
class ChargePayment(Command):
    reservation_id: UUID
    guest_id: int
    amount: int
    currency: str


async def charge(cmd: ChargePayment, uow: PaymentUnitOfWork, provider: PaymentProvider, clock: Clock) -> Payment:
    """Charge once per reservation. The provider is called outside any transaction; it is
    idempotent on the reservation id, so a retry after a crash never charges twice."""
    async with uow:
        existing = await uow.payments.by_reservation(cmd.reservation_id)
    if existing is not None:
        return existing
    key = f"charge:{cmd.reservation_id}"
    provider_ref = await provider.charge(key=key, amount=cmd.amount, currency=cmd.currency)
    payment = Payment.approved(
        reservation_id=cmd.reservation_id,
        guest_id=cmd.guest_id,
        amount=cmd.amount,
        currency=cmd.currency,
        provider_ref=provider_ref,
        idempotency_key=key,
        now=clock.now(),
    )
    async with uow:
        if not await uow.payments.add(payment):
            stored = await uow.payments.by_reservation(cmd.reservation_id)
            assert stored is not None
            return stored
        uow.emit(*payment.events)
        await uow.commit()
    return payment


async def approved_payment(reservation_id: UUID, uow: PaymentUnitOfWork) -> Payment | None:
    async with uow:
        payment = await uow.payments.by_reservation(reservation_id)
    return payment if payment is not None and payment.status is PaymentStatus.APPROVED else None


async def refund_for(
    event: ReservationCancelled | ReservationRejected,
    uow: PaymentUnitOfWork,
    provider: PaymentProvider,
    clock: Clock,
) -> Payment | None:
    """Policy: a cancelled or rejected reservation is refunded, once."""
    payment = await uow.payments.by_reservation(event.reservation_id, for_update=True)
    if payment is None or payment.status is not PaymentStatus.APPROVED:
        return None
    refund_ref = await provider.refund(
        key=payment.refund_key,
        charge_ref=payment.provider_ref,
        amount=payment.amount,
        currency=payment.currency,
    )
    payment.refunded(refund_ref, clock.now())
    await uow.payments.save(payment)
    uow.emit(*payment.events)
    return payment
