"""reservation ← the hotel's decisions and room changes."""

from __future__ import annotations

from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel, RoomCreated, RoomUpdated
from domain.reservation import handlers
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy

POLICIES: dict[type[Event], Policy] = {
    ReservationApproved: handlers.on_reservation_approved,
    ReservationRejectedByHotel: handlers.on_reservation_rejected,
    RoomCreated: handlers.on_room_changed,
    RoomUpdated: handlers.on_room_changed,
}
EVENTS = tuple(POLICIES)
