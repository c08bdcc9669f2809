"""Builds every outbound adapter once and injects it into the domain's handlers; hands each inbound
adapter the narrow ports it needs (`bot_services`, `telegram_config`), never this container."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from bot.ports import BotConfig, BotServices, TelegramConfig
from domain.hotel import commands as hotel_cmd
from domain.hotel import handlers as hotel
from domain.payment import handlers as payment
from domain.payment.ports import PaymentProvider
from domain.reservation import commands as reservation_cmd
from domain.reservation import handlers as reservation
from domain.reservation.model import BookingPolicy
from domain.shared.ports import Clock
from infra.clock import SystemClock
from infra.config import Context, Settings, SettingsError
from infra.db.engines import Engines
from infra.db.hotel import HotelQueries, HotelUoW
from infra.db.payment import PaymentUoW
from infra.db.reservation import AvailabilityQueries, ReservationUoW
from infra.db.uow import SqlUnitOfWork
from infra.db.users import UserDirectory
from infra.db.view import ViewQueries, ViewUoW
from infra.payment.guarded import GuardedProvider
from infra.payment.sandbox import SandboxProvider

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Any]]


class InProcessPaymentGateway:
    """The reservation context's payment port, answered by the payment context in this process."""

    def __init__(self, container: Container) -> None:
        self.container = container

    async def charge(self, *, reservation_id: UUID, guest_id: int, amount: int, currency: str) -> UUID:
        c = self.container
        cmd = payment.ChargePayment(reservation_id=reservation_id, guest_id=guest_id, amount=amount, currency=currency)
        result = await payment.charge(cmd, c.payment_uow(), c.payment_provider, c.clock)
        return result.id

    async def approved_payment(self, reservation_id: UUID) -> UUID | None:
        found = await payment.approved_payment(reservation_id, self.container.payment_uow())
        return found.id if found else None


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    provider: PaymentProvider | None = None
    commit_listeners: list[Callable[[str], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        self.engines = Engines(s.db_pool_size, s.db_pre_ping)
        if self.provider is None:
            self.provider = GuardedProvider(
                SandboxProvider(s.payment_latency_ms / 1000, s.payment_failure_rate, s.payment_decline_rate),
                timeout_s=s.payment_timeout_s,
                failures=s.breaker_failures,
                reset_s=s.breaker_reset_s,
            )
        self.policy = BookingPolicy(max_nights=s.max_nights, max_days_ahead=s.max_days_ahead)
        self.payments = InProcessPaymentGateway(self)
        self.availability = AvailabilityQueries(self.reader("reservation"))
        self.views = ViewQueries(self.reader("view"))
        self.hotels = HotelQueries(self.reader("hotel"))
        self.users = UserDirectory(self.engine("app"))
        self.handlers: dict[type, Handler] = {
            hotel_cmd.AddHotel: lambda cmd: hotel.add_hotel(cmd, self.hotel_uow()),
            hotel_cmd.GrantManager: lambda cmd: hotel.grant_manager(cmd, self.hotel_uow()),
            hotel_cmd.RevokeManager: lambda cmd: hotel.revoke_manager(cmd, self.hotel_uow()),
            hotel_cmd.CreateRoom: lambda cmd: hotel.create_room(cmd, self.hotel_uow()),
            hotel_cmd.UpdateRoom: lambda cmd: hotel.update_room(cmd, self.hotel_uow()),
            hotel_cmd.ApproveReservation: lambda cmd: hotel.approve_reservation(cmd, self.hotel_uow(), self.clock),
            hotel_cmd.RejectReservation: lambda cmd: hotel.reject_reservation(cmd, self.hotel_uow(), self.clock),
            reservation_cmd.PlaceReservation: lambda cmd: reservation.place_reservation(
                cmd, self.reservation_uow(), self.payments, self.clock, self.policy
            ),
            reservation_cmd.CancelReservation: lambda cmd: reservation.cancel_reservation(
                cmd, self.reservation_uow(), self.clock
            ),
            # timed work, asked by the scheduler of the context that owns it
            hotel_cmd.ClaimApprovalReminders: lambda cmd: hotel.claim_approval_reminders(cmd, self.hotel_uow()),
            hotel_cmd.ReleaseApprovalReminder: lambda cmd: hotel.release_approval_reminder(cmd, self.hotel_uow()),
            hotel_cmd.RejectOverdueRequests: lambda cmd: hotel.reject_overdue_requests(
                cmd, self.hotel_uow(), self.clock
            ),
            reservation_cmd.FindCheckInReminders: lambda q: reservation.check_in_reminders(q, self.reservation_uow()),
            reservation_cmd.SettleStalePayments: lambda cmd: reservation.settle_stale(
                cmd, self.reservation_uow(), self.payments
            ),
        }

    @property
    def payment_provider(self) -> PaymentProvider:
        assert self.provider is not None
        return self.provider

    def engine(self, context: str):  # type: ignore[no-untyped-def]
        return self.engines.get(self.settings.url_for(context))

    def reader(self, context: str):  # type: ignore[no-untyped-def]
        """For the read-only queries (availability, views, hotel lookups): no transaction."""
        return self.engines.reader(self.settings.url_for(context))

    def _committed(self, context: str) -> None:
        for listener in self.commit_listeners:
            listener(context)

    def hotel_uow(self) -> HotelUoW:
        return HotelUoW(self.engine("hotel"), partial(self._committed, "hotel"))

    def reservation_uow(self) -> ReservationUoW:
        return ReservationUoW(self.engine("reservation"), partial(self._committed, "reservation"))

    def payment_uow(self) -> PaymentUoW:
        return PaymentUoW(self.engine("payment"), partial(self._committed, "payment"))

    def view_uow(self) -> ViewUoW:
        return ViewUoW(self.engine("view"), partial(self._committed, "view"))

    def uow(self, context: Context) -> SqlUnitOfWork:
        return {
            "hotel": self.hotel_uow,
            "reservation": self.reservation_uow,
            "payment": self.payment_uow,
            "view": self.view_uow,
        }[context]()

    async def handle(self, cmd: Any) -> Any:
        """Run one command through its handler; domain errors reach the caller as they are."""
        return await self.handlers[type(cmd)](cmd)

    async def close(self) -> None:
        await self.engines.dispose()


class ApprovalMessages:
    """The hotel context records where each manager's copy of a request was sent."""

    def __init__(self, container: Container) -> None:
        self.container = container

    async def record(self, reservation_id: UUID, chat_id: int, message_id: int) -> None:
        async with self.container.hotel_uow() as uow:
            await uow.approvals.record_message(reservation_id, chat_id, message_id)
            await uow.commit()


def bot_services(container: Container) -> BotServices:
    from main.admin import Operations

    s = container.settings
    return BotServices(
        handle=container.handle,
        availability=container.availability,
        views=container.views,
        hotels=container.hotels,
        users=container.users,
        operations=Operations(container),
        clock=container.clock,
        config=BotConfig(admin_ids=s.admin_ids, max_nights=s.max_nights, max_days_ahead=s.max_days_ahead),
    )


def telegram_config(settings: Settings) -> TelegramConfig:
    if not settings.telegram_bot_token:
        raise SettingsError("setting TELEGRAM_BOT_TOKEN: required to talk to Telegram")
    return TelegramConfig(
        token=settings.telegram_bot_token,
        api_base_url=settings.telegram_api_base_url,
        webhook_url=settings.webhook_url,
        webhook_secret=settings.webhook_secret,
        webhook_listen=settings.webhook_listen,
        webhook_port=settings.webhook_port,
    )
