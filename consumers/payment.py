"""payment ← cancelled and rejected reservations, and no-shows, are refunded once: all of it, or
what the cancellation policy gives back."""

from __future__ import annotations

from domain.payment import handlers
from domain.payment.ports import PaymentProvider, PaymentUnitOfWork
from domain.reservation.events import ReservationCancelled, ReservationNoShow, ReservationRejected
from domain.shared.events import Event
from domain.shared.ports import Clock

NAME = "payment"
EVENTS = (ReservationCancelled, ReservationRejected, ReservationNoShow)


async def refund(event: Event, uow: PaymentUnitOfWork, provider: PaymentProvider, clock: Clock) -> None:
    """Not a transactional policy: the refund is a call to the provider, made between two short
    transactions (see refund_for), with the inbox row written in the second."""
    assert isinstance(event, EVENTS)
    # A rejection by the hotel always gives everything back; a cancellation (v2) and a no-show
    # give back what the policy says.
    amount = None if isinstance(event, ReservationRejected) else event.refund_amount
    command = handlers.RefundPayment(reservation_id=event.reservation_id, event_id=event.event_id, amount=amount)
    await handlers.refund_for(command, NAME, uow, provider, clock)
