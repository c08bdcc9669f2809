"""view ← every event that changes what a guest's list or a hotel's board shows."""

from __future__ import annotations

from domain.hotel.events import ApprovalRequested, ApprovalWithdrawn, ReservationApproved, RoomCreated, RoomUpdated
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy
from domain.view.ports import ViewUnitOfWork

PROJECTED = (
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


# The hotel's account of its requests. Nothing the view shows depends on them today (the
# reservation's own events carry the status); it takes them so that a process running the
# contexts' consumers takes every event they publish, which the in-process bus insists on.
HEARD_ONLY = (
    ApprovalRequested,
    ApprovalWithdrawn,
    ReservationCheckedIn,  # the stay's events: projected by the view's next revision
    ReservationCheckedOut,
    ReservationNoShow,
)


async def project(event: Event, uow: ViewUnitOfWork) -> None:
    await uow.project(event)


async def ignore(event: Event, uow: ViewUnitOfWork) -> None:
    return None


POLICIES: dict[type[Event], Policy] = {**dict.fromkeys(PROJECTED, project), **dict.fromkeys(HEARD_ONLY, ignore)}
EVENTS = tuple(POLICIES)
