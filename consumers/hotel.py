"""hotel ← placed reservations become approval requests; cancellations withdraw them."""

from __future__ import annotations

from consumers.base import Consumer, Policy, transactional
from domain.hotel import handlers
from domain.reservation.events import ReservationCancelled, ReservationPlaced
from domain.shared.events import Event
from infra.bootstrap import Container

POLICIES: dict[type[Event], Policy] = {
    ReservationPlaced: handlers.on_reservation_placed,
    ReservationCancelled: handlers.on_reservation_cancelled,
}
EVENTS = tuple(POLICIES)


def build(container: Container) -> Consumer:
    return transactional("hotel", container.hotel_uow, POLICIES)
