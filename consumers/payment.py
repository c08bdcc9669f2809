"""payment ← cancelled and rejected reservations are refunded, once."""

from __future__ import annotations

from typing import Any

from consumers.base import Consumer
from domain.payment import handlers
from domain.reservation.events import ReservationCancelled, ReservationRejected
from infra.bootstrap import Container

NAME = "payment"
EVENTS = (ReservationCancelled, ReservationRejected)


def build(container: Container) -> Consumer:
    """Not `transactional`: the refund is a call to the provider, made between two short
    transactions (see refund_for), with the inbox row written in the second."""

    async def handle(event: Any) -> None:
        await handlers.refund_for(event, NAME, container.payment_uow(), container.payment_provider, container.clock)

    return Consumer(NAME, frozenset(e.routing_key() for e in EVENTS), handle)
