"""What a consumer is: a name (its queue), the events it takes, and how it applies one.

A transactional consumer writes its inbox row `(consumer, event_id)` in the same transaction as
its effect, so a redelivered event changes nothing. It can also apply several deliveries in one
transaction (`handle_batch`): all of them or none, so a runner that sees a batch fail hands each
delivery to `handle` on its own, with the usual retries and dead letters."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from domain.shared.errors import DomainError
from domain.shared.events import Event
from infra.db.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

Policy = Callable[[Any, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Consumer:
    name: str
    routing_keys: frozenset[str]
    handle: Callable[[Event], Awaitable[None]]
    handle_batch: Callable[[list[Event]], Awaitable[None]] | None = None
    # On the in-process bus: take deliveries through a durable backlog of its own instead of
    # inline, so a consumer that waits on something slow never holds up the others.
    backlog: bool = False
    # Routing keys it hears without taking: the in-process bus lets them pass when nobody in the
    # process takes them; on RabbitMQ they are unbound from its queue (an earlier version took them).
    heard: frozenset[str] = frozenset()


def transactional(
    name: str,
    uow_factory: Callable[[], SqlUnitOfWork],
    policies: dict[type[Event], Policy],
    heard: frozenset[str] = frozenset(),
) -> Consumer:
    async def handle(event: Event) -> None:
        policy = policies.get(type(event))
        if policy is None:
            return
        try:
            async with uow_factory() as uow:
                await uow.lock(event.correlation_key)
                if not await uow.first_delivery(name, event.event_id):
                    log.debug("%s: %s %s already applied", name, event.routing_key(), event.event_id)
                    return
                await policy(event, uow)
                await uow.commit()
        except DomainError as refusal:
            if refusal.transient:
                raise  # the provider or another dependency is away: retry later
            # A business "no" is this event's answer, not a failure to retry: record that it
            # was seen, with no other effect, and move on.
            log.info("%s: %s %s refused: %s", name, event.routing_key(), event.correlation_key, refusal)
            async with uow_factory() as uow:
                await uow.first_delivery(name, event.event_id)
                await uow.commit()

    async def handle_batch(events: list[Event]) -> None:
        """One transaction for the lot: the locks (in one order, so two batches never deadlock),
        the inbox rows, every effect in delivery order, the outbox. Any error undoes all of it."""
        unique: dict[Any, Event] = {}
        for event in events:
            if type(event) in policies:
                unique.setdefault(event.event_id, event)  # the same event twice: applied once
        if not unique:
            return
        async with uow_factory() as uow:
            await uow.lock_all({event.correlation_key for event in unique.values()})
            fresh = await uow.first_deliveries(name, list(unique))
            applied = [event for event_id, event in unique.items() if event_id in fresh]
            await uow.prepare(applied)
            for event in applied:
                await policies[type(event)](event, uow)
            await uow.commit()

    keys = frozenset(cls.routing_key() for cls in policies)
    return Consumer(name, keys, handle, handle_batch, heard=heard)
