"""hotel ← placed reservations become approval requests; cancellations withdraw them."""

from __future__ import annotations

from domain.hotel import handlers
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.events import Event
from domain.shared.ports import EventPolicy as Policy

POLICIES: dict[type[Event], Policy] = {
    ReservationPlaced: handlers.on_reservation_placed,
    ReservationCancelled: handlers.on_reservation_cancelled,
}
EVENTS = tuple(POLICIES)
