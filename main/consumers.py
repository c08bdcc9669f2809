"""Wires each consumer's policies (consumers/) to its context's unit of work."""

from __future__ import annotations

from typing import Any

from consumers import hotel, notifier, payment, reservation, view
from domain.shared.events import Event
from infra.messaging.consumer import Consumer, transactional
from main.bootstrap import Container


def transactional_consumers(container: Container) -> list[Consumer]:
    """Those whose whole effect is a database transaction of their own context."""
    return [
        transactional("reservation", container.reservation_uow, reservation.POLICIES),
        transactional("hotel", container.hotel_uow, hotel.POLICIES),
        transactional("view", container.view_uow, view.POLICIES),
        payment_consumer(container),
    ]


def payment_consumer(container: Container) -> Consumer:
    async def handle(event: Event) -> None:
        await payment.refund(event, container.payment_uow(), container.payment_provider, container.clock)

    return Consumer(payment.NAME, frozenset(e.routing_key() for e in payment.EVENTS), handle)


def notifier_consumer(telegram: Any, container: Container) -> Consumer:
    """`telegram` is a bot.notifier.Notifier: it knows how to say each thing in Telegram.

    Telegram messages cannot join a database transaction, so the inbox row is written after the
    sends: a crash between the two repeats a message (at least once), it never loses one."""
    policies = telegram.policies()
    assert set(policies) == set(notifier.EVENTS)

    async def handle(event: Event) -> None:
        policy = policies.get(type(event))
        if policy is None:
            return
        async with container.hotel_uow() as uow:
            if await uow.seen(notifier.NAME, event.event_id):
                return
        await policy(event)
        async with container.hotel_uow() as uow:
            await uow.first_delivery(notifier.NAME, event.event_id)
            await uow.commit()

    # Telegram paces it (~30 messages/s, 429s, timeouts): on the in-process bus it has a backlog
    return Consumer(notifier.NAME, frozenset(cls.routing_key() for cls in notifier.EVENTS), handle, backlog=True)
