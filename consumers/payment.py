"""payment ← cancelled and rejected reservations are refunded, once."""

from __future__ import annotations

from domain.payment import handlers
from domain.payment.ports import PaymentProvider, PaymentUnitOfWork
from domain.reservation.events import ReservationCancelled, ReservationRejected
from domain.shared.events import Event
from domain.shared.ports import Clock

NAME = "payment"
EVENTS = (ReservationCancelled, ReservationRejected)


async def refund(event: Event, uow: PaymentUnitOfWork, provider: PaymentProvider, clock: Clock) -> None:
    """Not a transactional policy: the refund is a call to the provider, made between two short
    transactions (see refund_for), with the inbox row written in the second."""
    assert isinstance(event, EVENTS)
    command = handlers.RefundPayment(reservation_id=event.reservation_id, event_id=event.event_id)
    await handlers.refund_for(command, NAME, uow, provider, clock)
