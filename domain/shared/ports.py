"""Ports every context shares: the clock and the unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from domain.shared.events import Event


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class UnitOfWork(Protocol):
    """One transaction in one context. At commit, the new events of every aggregate its
    repositories loaded or added (and any emitted by hand) are written to that context's outbox
    in the same transaction; `first_delivery` records (consumer, event_id) in its inbox."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def emit(self, *events: Event) -> None:
        """Queue events that belong to no aggregate for this context's outbox; written at commit."""
        ...

    async def seen(self, consumer: str, event_id: object) -> bool:
        """Has this consumer already applied the event? (Looks only; records nothing.)"""
        ...

    async def lock(self, key: str) -> None:
        """Serialise, until this transaction ends, every transaction that locks the same key."""
        ...

    async def first_delivery(self, consumer: str, event_id: object) -> bool:
        """Record an inbox row; False when this consumer has already applied the event."""
        ...


# What a consumer does with one event inside its unit of work: (event, uow) -> None.
EventPolicy = Callable[[Any, Any], Awaitable[None]]
