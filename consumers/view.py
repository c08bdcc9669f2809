"""view ← every event that changes what a guest's list or a hotel's board shows."""

from __future__ import annotations

from typing import Any

from consumers.base import Consumer, transactional
from domain.hotel.events import ReservationApproved, RoomCreated, RoomUpdated
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from infra.bootstrap import Container

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


def build(container: Container) -> Consumer:
    async def project(event: Any, uow: Any) -> None:
        await uow.project(event)

    return transactional("view", container.view_uow, dict.fromkeys(EVENTS, project))
