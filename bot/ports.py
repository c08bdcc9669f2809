"""What the bot is given by the composition root: narrow ports, not the application's wiring.

The bot turns taps and texts into commands for `handle` (the same command handlers every inbound
adapter calls) and reads what it shows from the read models; it never opens a connection itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain.hotel.ports import HotelReader
from domain.reservation.checkout import InvoicePayloads
from domain.reservation.ports import Availability
from domain.shared.ports import Clock
from domain.view.ports import ViewReader

CommandBus = Callable[[Any], Awaitable[Any]]


class Users(Protocol):
    """The language each Telegram user chose."""

    async def language(self, user_id: int) -> str | None: ...

    async def languages(self, user_ids: Iterable[int]) -> dict[int, str]: ...

    async def set_language(self, user_id: int, language: str, first_name: str = "") -> None: ...


class Operations(Protocol):
    """The messaging side an admin looks after: backlog, dead letters, replay."""

    consumer_names: tuple[str, ...]

    async def outbox_backlog(self) -> dict[str, int]: ...

    async def dead_letters(self, consumer: str | None = None) -> list[dict[str, Any]]: ...

    async def replay(self, consumer: str) -> int: ...


class RequestMessages(Protocol):
    """Where each manager's copy of an approval request was sent, so it can be edited later."""

    async def record(self, reservation_id: UUID, chat_id: int, message_id: int) -> None: ...


@dataclass(frozen=True)
class BotConfig:
    admin_ids: frozenset[int]
    max_nights: int
    max_days_ahead: int
    mini_app_url: str | None = None  # the Mini App's /app/, public (https); None: no Mini App buttons


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_base_url: str
    webhook_url: str | None = None
    webhook_secret: str | None = None


@dataclass(frozen=True)
class CheckoutConfig:
    """Telegram Payments (PAYMENT_PROVIDER=telegram): the provider token from BotFather, how
    invoice payloads are signed, how long nights are held, and the hotel's /paysupport words."""

    provider_token: str
    payloads: InvoicePayloads
    hold_minutes: float
    support_text: str | None = None


@dataclass(frozen=True)
class BotServices:
    handle: CommandBus
    availability: Availability
    views: ViewReader
    hotels: HotelReader
    users: Users
    operations: Operations
    clock: Clock
    config: BotConfig
    checkout: CheckoutConfig | None = None  # None: the sandbox provider's Pay button


class StateLane(Protocol):
    """One user's stored bot state while one of their updates is handled: rows `(kind, key)` of
    JSON documents, read before the handler runs and written after it."""

    async def load(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]: ...

    async def save(self, changed: dict[tuple[str, str], Any]) -> None:
        """Write these rows; a value of None deletes its row."""


class BotStateStore(Protocol):
    """Where conversations and user data live between updates. `hold(user)` is that user's turn:
    while it is held, no other process handles an update of theirs."""

    def hold(self, user_id: int) -> AbstractAsyncContextManager[StateLane]: ...
