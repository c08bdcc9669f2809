"""Builds every outbound adapter once and injects it into the domain's handlers. Inbound adapters
never see this container: main/wiring.py hands each the narrow ports it needs."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

from domain.hotel import commands as hotel_cmd
from domain.hotel import handlers as hotel
from domain.payment import checkout as payment_checkout
from domain.payment import handlers as payment
from domain.payment.ports import PaymentProvider
from domain.reservation import checkout
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
from infra.payment.stripe import StripeRefunds

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


class InProcessCheckoutPayments:
    """Telegram Payments: the reservation context's checkout port, answered by the payment context."""

    def __init__(self, container: Container) -> None:
        self.container = container

    async def accepting(self) -> bool:
        provider = self.container.payment_provider
        return await provider.accepting() if isinstance(provider, GuardedProvider) else True

    async def record(
        self,
        *,
        reservation_id: UUID,
        guest_id: int,
        amount: int,
        currency: str,
        telegram_charge_id: str,
        provider_charge_id: str,
    ) -> UUID | None:
        c = self.container
        cmd = payment_checkout.RecordTelegramPayment(
            reservation_id=reservation_id,
            guest_id=guest_id,
            amount=amount,
            currency=currency,
            telegram_charge_id=telegram_charge_id,
            provider_charge_id=provider_charge_id,
        )
        found = await payment_checkout.record_telegram_payment(cmd, c.payment_uow(), c.payment_provider, c.clock)
        return found.id if found else None

    async def approved_payment(self, reservation_id: UUID) -> UUID | None:
        found = await payment.approved_payment(reservation_id, self.container.payment_uow())
        return found.id if found else None

    async def refund_now(self, reservation_id: UUID) -> bool:
        c = self.container
        found = await payment_checkout.refund_now(reservation_id, c.payment_uow(), c.payment_provider, c.clock)
        return found is None or found.status.value == "refunded"


def payment_provider(s: Settings) -> PaymentProvider:
    """The sandbox card processor, or (Telegram Payments) Stripe for refunds; behind the guard."""
    inner: PaymentProvider
    if s.payment_provider == "telegram":
        if not s.telegram_payment_provider_token:
            raise SettingsError("setting TELEGRAM_PAYMENT_PROVIDER_TOKEN: required with PAYMENT_PROVIDER=telegram")
        if not s.stripe_api_key:
            raise SettingsError("setting STRIPE_API_KEY: required with PAYMENT_PROVIDER=telegram (refunds)")
        inner = StripeRefunds(s.stripe_api_key, s.stripe_api_base, timeout_s=s.payment_timeout_s)
    else:
        inner = SandboxProvider(s.payment_latency_ms / 1000, s.payment_failure_rate, s.payment_decline_rate)
    return GuardedProvider(inner, timeout_s=s.payment_timeout_s, failures=s.breaker_failures, reset_s=s.breaker_reset_s)


def invoice_payloads(s: Settings) -> checkout.InvoicePayloads:
    secret = s.payload_secret or f"invoice-payload:{s.telegram_bot_token or ''}"
    return checkout.InvoicePayloads(hashlib.sha256(secret.encode()).digest())


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
            self.provider = payment_provider(s)
        self.policy = BookingPolicy(max_nights=s.max_nights, max_days_ahead=s.max_days_ahead)
        self.payments = InProcessPaymentGateway(self)
        self.checkout_payments = InProcessCheckoutPayments(self)
        hold = timedelta(minutes=s.payment_hold_minutes)
        self.availability = AvailabilityQueries(self.reader("reservation"))
        self.views = ViewQueries(self.reader("view"))
        self.hotels = HotelQueries(self.reader("hotel"))
        self.users = UserDirectory(self.engine("app"), reader=self.reader("app"))
        self.handlers: dict[type, Handler] = {
            hotel_cmd.AddHotel: lambda cmd: hotel.add_hotel(cmd, self.hotel_uow()),
            hotel_cmd.GrantManager: lambda cmd: hotel.grant_manager(cmd, self.hotel_uow()),
            hotel_cmd.RevokeManager: lambda cmd: hotel.revoke_manager(cmd, self.hotel_uow()),
            hotel_cmd.CreateRoom: lambda cmd: hotel.create_room(cmd, self.hotel_uow()),
            hotel_cmd.UpdateRoom: lambda cmd: hotel.update_room(cmd, self.hotel_uow()),
            hotel_cmd.ApproveReservation: lambda cmd: hotel.approve_reservation(cmd, self.hotel_uow(), self.clock),
            hotel_cmd.RejectReservation: lambda cmd: hotel.reject_reservation(cmd, self.hotel_uow(), self.clock),
            hotel_cmd.ChangeTerms: lambda cmd: hotel.change_terms(cmd, self.hotel_uow()),
            hotel_cmd.SetDefaultPolicy: lambda cmd: hotel.set_default_policy(cmd, self.hotel_uow()),
            hotel_cmd.CheckInGuest: lambda cmd: hotel.check_in_guest(cmd, self.hotel_uow(), self.clock),
            hotel_cmd.CheckOutGuest: lambda cmd: hotel.check_out_guest(cmd, self.hotel_uow(), self.clock),
            reservation_cmd.PlaceReservation: lambda cmd: reservation.place_reservation(
                cmd, self.reservation_uow(), self.payments, self.clock, self.policy
            ),
            reservation_cmd.CancelReservation: lambda cmd: reservation.cancel_reservation(
                cmd, self.reservation_uow(), self.clock
            ),
            reservation_cmd.QuoteCancellation: lambda q: reservation.quote_cancellation(
                q, self.reservation_uow(), self.clock
            ),
            checkout.StartCheckout: lambda cmd: checkout.start_checkout(
                cmd, self.reservation_uow(), self.checkout_payments, self.clock, self.policy, hold
            ),
            checkout.CheckPayment: lambda cmd: checkout.check_payment(
                self.reservation_uow(), self.clock, cmd.reservation_id, cmd.amount, cmd.currency
            ),
            checkout.RecordInvoice: lambda cmd: checkout.record_invoice(
                self.reservation_uow(), cmd.reservation_id, cmd.chat_id, cmd.message_id
            ),
            checkout.SettleCheckouts: lambda cmd: checkout.settle_checkouts(
                self.reservation_uow(), self.checkout_payments, self.clock
            ),
            checkout.CompleteCheckout: lambda cmd: checkout.complete_checkout(
                cmd, self.reservation_uow(), self.checkout_payments, self.clock
            ),
            # timed work, asked by the scheduler of the context that owns it
            hotel_cmd.ClaimApprovalReminders: lambda cmd: hotel.claim_approval_reminders(cmd, self.hotel_uow()),
            hotel_cmd.ReleaseApprovalReminder: lambda cmd: hotel.release_approval_reminder(cmd, self.hotel_uow()),
            hotel_cmd.RejectOverdueRequests: lambda cmd: hotel.reject_overdue_requests(
                cmd, self.hotel_uow(), self.clock
            ),
            hotel_cmd.MarkNoShows: lambda cmd: hotel.mark_no_shows(cmd, self.hotel_uow()),
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
