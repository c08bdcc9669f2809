from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class OutgoingMessage:
    event_id: UUID
    routing_key: str
    payload: bytes


class Publisher(Protocol):
    async def publish(self, messages: list[OutgoingMessage]) -> None:
        """Return only once the broker has confirmed every message; raise if any was not."""
        ...
