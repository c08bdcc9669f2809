"""reservation ← the hotel's decisions and room changes."""

from __future__ import annotations

from consumers.base import Consumer, Policy, transactional
from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel, RoomCreated, RoomUpdated
from domain.reservation import handlers
from domain.shared.events import Event
from infra.bootstrap import Container

POLICIES: dict[type[Event], Policy] = {
    ReservationApproved: handlers.on_reservation_approved,
    ReservationRejectedByHotel: handlers.on_reservation_rejected,
    RoomCreated: handlers.on_room_changed,
    RoomUpdated: handlers.on_room_changed,
}
EVENTS = tuple(POLICIES)


def build(container: Container) -> Consumer:
    return transactional("reservation", container.reservation_uow, POLICIES)
