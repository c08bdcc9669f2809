"""notifier ← what managers and guests must hear about.

Telegram messages cannot join a database transaction, so the inbox row is written after the
sends: a crash between the two repeats a message (at least once), it never loses one."""

from __future__ import annotations

from typing import Any

from consumers.base import Consumer
from domain.hotel.events import ReservationApproved, ReservationRejectedByHotel
from domain.payment.events import PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event

NAME = "notifier"
EVENTS = (
    ReservationPlaced,
    ReservationApproved,
    ReservationRejectedByHotel,
    ReservationConfirmed,
    ReservationRejected,
    ReservationCancelled,
    PaymentRefunded,
)


def build(notifier: Any) -> Consumer:
    """`notifier` is a bot.notifier.Notifier: it knows how to say each thing in Telegram."""
    policies = notifier.policies()
    assert set(policies) == set(EVENTS)
    container = notifier.container

    async def handle(event: Event) -> None:
        policy = policies.get(type(event))
        if policy is None:
            return
        async with container.hotel_uow() as uow:
            if await uow.seen(NAME, event.event_id):
                return
        await policy(event)
        async with container.hotel_uow() as uow:
            await uow.first_delivery(NAME, event.event_id)
            await uow.commit()

    # Telegram paces it (~30 messages/s, 429s, timeouts): on the in-process bus it has a backlog
    return Consumer(NAME, frozenset(cls.routing_key() for cls in EVENTS), handle, backlog=True)
