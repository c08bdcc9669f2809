"""Wires each consumer's policies (consumers/) to its context's unit of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from consumers import HEARD, hotel, payment, reservation, view
from consumers import notifier as notifier_events
from domain.shared.events import Event
from infra.db.notices import SqlNotices
from infra.db.reservation import ReservationStateQueries
from infra.messaging.consumer import Consumer, transactional
from main.bootstrap import Container
from main.wiring import ApprovalMessages


def transactional_consumers(container: Container) -> list[Consumer]:
    """Those whose whole effect is a database transaction of their own context."""
    return [
        transactional("reservation", container.reservation_uow, reservation.POLICIES),
        transactional("hotel", container.hotel_uow, hotel.POLICIES),
        transactional("view", container.view_uow, view.POLICIES, HEARD["view"]),
        payment_consumer(container),
    ]


def payment_consumer(container: Container) -> Consumer:
    async def handle(event: Event) -> None:
        await payment.refund(event, container.payment_uow(), container.payment_provider, container.clock)

    return Consumer(payment.NAME, frozenset(e.routing_key() for e in payment.EVENTS), handle)


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def notifier(bot: Any, container: Container) -> Any:
    """The bot's notifier on this container's read models and notice claims."""
    from bot.notifier import Notifier

    c = container
    return Notifier(
        bot,
        c.hotels,
        c.users,
        ApprovalMessages(c),
        SqlNotices(c.engine("app")),
        ReservationStateQueries(c.reader("reservation")),
    )


def notifier_consumer(telegram: Any, container: Container) -> Consumer:
    """`telegram` is a bot.notifier.Notifier: it knows how to say each thing in Telegram, once
    (it claims every message before sending it).

    Deliveries about one reservation are handled one at a time, in this process (a lock per
    reservation) and, on PostgreSQL, across processes (an advisory lock held by a transaction of
    its own for the whole delivery), so what one reservation's guest and managers are told
    follows the order its events are handled in. SQLite has a single connection: holding it
    while Telegram answers would stop everything, and SQLite runs one process anyway."""
    policies = telegram.policies()
    assert set(policies) == set(notifier_events.EVENTS)
    across_processes = container.engine("hotel").dialect.name == "postgresql"
    locks = KeyedLocks()
    # A delivery holding its lock also needs connections for its reads and claims: keep at least
    # half the pool free of lock holders, so deliveries can never starve each other of connections.
    holders = asyncio.Semaphore(max(1, container.settings.db_pool_size // 2))
    name = notifier_events.NAME

    async def handle(event: Event) -> None:
        policy = policies.get(type(event))
        if policy is None:
            return
        async with locks.hold(event.correlation_key):
            if across_processes:
                async with holders, container.hotel_uow() as uow:
                    await uow.lock(f"notifier:{event.correlation_key}")
                    if await uow.seen(name, event.event_id):
                        return
                    await policy(event)
                    # written last, not as the check above: a transaction that has written holds
                    # back VACUUM for as long as it is open, and Telegram may keep it seconds
                    await uow.first_delivery(name, event.event_id)
                    await uow.commit()
                return
            async with container.hotel_uow() as uow:
                if await uow.seen(name, event.event_id):
                    return
            await policy(event)
            async with container.hotel_uow() as uow:
                await uow.first_delivery(name, event.event_id)
                await uow.commit()

    # Telegram paces it (~30 messages/s, 429s, timeouts): on the in-process bus it has a backlog
    return Consumer(name, frozenset(cls.routing_key() for cls in notifier_events.EVENTS), handle, backlog=True)
