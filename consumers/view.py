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
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationNoShow,
    ReservationApproved,
    PaymentApproved,
    PaymentRefunded,
    RoomCreated,
    RoomUpdated,
)


# The hotel's account of its requests: nothing the view shows depends on them (the reservation's
# own events carry the status). The view hears them without taking them (consumers.HEARD): a
# process of the contexts' consumers on the in-process bus without the notifier lets them pass
# rather than refuse them, as it did when the view took and ignored them; on RabbitMQ no queue
# of the view holds them.
# (The hotel's terms and its marks of a stay, GuestCheckedIn/Out and GuestNoShow, are taken by
# the reservation context; the view shows the stay from the reservation's own events.)
HEARD_ONLY = (ApprovalRequested, ApprovalWithdrawn)


async def project(event: Event, uow: ViewUnitOfWork) -> None:
    await uow.project(event)


POLICIES: dict[type[Event], Policy] = dict.fromkeys(PROJECTED, project)
EVENTS = tuple(POLICIES)
