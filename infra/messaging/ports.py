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


class NotReadyYet(Exception):
    """A consumer cannot apply an event *yet* (something it depends on has not happened, e.g. the
    hotel has not recorded the request). It is retried for as long as it takes, at a modest pace,
    and never parked for this reason alone."""


def not_ready_delay(delays: tuple[float, ...], cap_s: float = 30.0) -> float:
    """The delay used for NotReadyYet: the longest configured delay that is at most `cap_s`."""
    fitting = [d for d in delays if d <= cap_s]
    return max(fitting) if fitting else min(delays)
