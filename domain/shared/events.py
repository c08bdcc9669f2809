"""The event base every context's events derive from, and the registry that names them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    """A fact that happened in one context. Subclasses set `context`, `name` and a correlation key.

    The wire name is the routing key `<context>.<name>` (for example `reservation.placed`);
    `version` is the schema version of the payload.
    """

    event_id: UUID = field(default_factory=uuid4)
    occurred_at: datetime = field(default_factory=utcnow)

    context: ClassVar[str] = ""
    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    correlation_field: ClassVar[str] = "reservation_id"

    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.context and cls.name:
            Event.registry[f"{cls.context}.{cls.name}"] = cls

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.context}.{cls.name}"

    @property
    def correlation_key(self) -> str:
        return str(getattr(self, self.correlation_field))


@dataclass(frozen=True, kw_only=True)
class Command:
    """An intent addressed to one context's handlers."""
