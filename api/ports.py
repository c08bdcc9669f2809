"""What the HTTP gateway is given by the composition root: narrow ports, never the container.

Routes build the same commands the bot builds and hand them to `handle` (the one command bus),
and read what they show from the same read models; the gateway opens no connection itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from domain.hotel.ports import HotelReader
from domain.reservation.model import CatalogRoom
from domain.reservation.ports import Availability
from domain.shared.errors import DomainError
from domain.shared.ports import Clock
from domain.view.ports import ViewReader

CommandBus = Callable[[Any], Awaitable[Any]]
Webhook = Callable[[dict[str, Any]], Awaitable[None]]  # one Telegram update, handled to the end
# Tells a guest in the chat what the API just did for them (the receipt of a booking placed here).
Receipts = Callable[[Any], Awaitable[None]]
# Telegram Payments: holds the nights (StartCheckout) and sends the invoice to the guest's chat,
# where the guest pays as for a booking made there; returns the Checkout.
ChatCheckout = Callable[[Any], Awaitable[Any]]


class Occupancy(Protocol):
    """Room by room and night by night, from the reservation context's catalog and held nights:
    what the Mini App's calendar and the managers' grid show."""

    async def hotel_rooms(self, hotel_id: int) -> list[CatalogRoom]: ...

    async def held_nights(self, hotel_id: int, start: date, end: date) -> list[tuple[UUID, date, UUID, str]]:
        """(room id, night, reservation id, reservation status) of each night held in [start, end)."""
        ...


class Operations(Protocol):
    """The messaging side an admin looks after: dead letters and their replay."""

    consumer_names: tuple[str, ...]

    async def dead_letters(self, consumer: str | None = None) -> list[dict[str, Any]]: ...

    async def replay(self, consumer: str) -> int: ...


class Claim(Protocol):
    @property
    def first(self) -> bool: ...
    @property
    def request_hash(self) -> str: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def response(self) -> str | None: ...


class IdempotencyKeys(Protocol):
    async def claim(self, principal: str, key: str, request_hash: str) -> Claim: ...

    async def answer(self, principal: str, key: str, status_code: int, response: str) -> None: ...

    async def release(self, principal: str, key: str) -> None: ...


@dataclass(frozen=True)
class ApiConfig:
    admin_ids: frozenset[int]
    # kid → secret; the first signs, every one verifies
    jwt_keys: Mapping[str, str]
    token_ttl_s: int
    bot_token: str  # the Mini App initData is signed with a key derived from it
    init_data_max_age_s: int
    max_nights: int = 30
    max_days_ahead: int = 730
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 16_384
    rate_per_s: float = 20.0
    webhook_path: str | None = None  # "/<secret path>" from WEBHOOK_URL, when the bot takes webhooks
    webhook_secret: str | None = None
    payments_in_chat: bool = False  # PAYMENT_PROVIDER=telegram: guests pay an invoice in the chat


@dataclass(frozen=True)
class ApiServices:
    handle: CommandBus
    availability: Availability
    views: ViewReader
    hotels: HotelReader
    operations: Operations
    idempotency: IdempotencyKeys
    clock: Clock
    config: ApiConfig
    occupancy: Occupancy
    # The sentence a person reads for a domain error (the bot's catalog, English).
    describe: Callable[[DomainError], str] = field(default=lambda exc: exc.code.replace("_", " "))
    receipts: Receipts | None = None  # None: the process has no bot to tell the guest through
    checkout_in_chat: ChatCheckout | None = None  # None: no bot in this process to send invoices
