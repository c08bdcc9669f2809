"""view ← every event that changes what a guest's list or a hotel's board shows."""

from __future__ import annotations

from domain.hotel.events import ReservationApproved, RoomCreated, RoomUpdated
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy
from domain.view.ports import ViewUnitOfWork

EVENTS = (
    ReservationPlaced,
    ReservationConfirmed,
    ReservationRejected,
    ReservationCancelled,
    ReservationApproved,
    PaymentApproved,
    PaymentRefunded,
    RoomCreated,
    RoomUpdated,
)


async def project(event: Event, uow: ViewUnitOfWork) -> None:
    await uow.project(event)


POLICIES: dict[type[Event], Policy] = dict.fromkeys(EVENTS, project)
