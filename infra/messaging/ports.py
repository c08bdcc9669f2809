from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.shared.errors import NotReadyYet

__all__ = ["NotReadyYet", "OutgoingMessage", "Publisher", "not_ready_delay"]


@dataclass(frozen=True)
class OutgoingMessage:
    event_id: UUID
    routing_key: str
    payload: bytes


class Publisher(Protocol):
    async def publish(self, messages: list[OutgoingMessage]) -> None:
        """Return only once the broker has confirmed every message; raise if any was not."""
        ...


def not_ready_delay(delays: tuple[float, ...], cap_s: float = 30.0) -> float:
    """The delay used for NotReadyYet: the longest configured delay that is at most `cap_s`."""
    fitting = [d for d in delays if d <= cap_s]
    return max(fitting) if fitting else min(delays)
