"""payment ← cancelled and rejected reservations are refunded, once."""

from __future__ import annotations

from typing import Any

from consumers.base import Consumer, transactional
from domain.payment import handlers
from domain.reservation.events import ReservationCancelled, ReservationRejected
from infra.bootstrap import Container

EVENTS = (ReservationCancelled, ReservationRejected)


def build(container: Container) -> Consumer:
    async def refund(event: Any, uow: Any) -> None:
        await handlers.refund_for(event, uow, container.provider, container.clock)  # type: ignore[arg-type]

    return transactional("payment", container.payment_uow, dict.fromkeys(EVENTS, refund))
