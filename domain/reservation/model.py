"""The Reservation aggregate, the reservation context's copy of the room catalog, and the
booking policy (how far ahead, how long)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.errors import (
    BookingTooFarAhead,
    CancelTooLate,
    CheckInInPast,
    CheckOutNotAfterCheckIn,
    GuestCountOutOfRange,
    IllegalTransition,
    NotFound,
    QuoteChanged,
    RoomOutOfService,
    StayTooLong,
)
from domain.shared.events import Event


@dataclass(frozen=True)
class BookingPolicy:
    max_nights: int = 30
    max_days_ahead: int = 730


@dataclass
class CatalogRoom:
    """What the reservation context knows of a room: a copy filled from the hotel's room events."""

    room_id: UUID
    hotel_id: int
    hotel_name: str
    timezone: str
    currency: str
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    in_service: bool
    revision: int

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()


class ReservationStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"  # nights held while the payment is being taken
    PLACED = "placed"  # paid, waiting for the hotel
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        return self in (self.PENDING_PAYMENT, self.PLACED, self.CONFIRMED)


def nights_between(check_in: date, check_out: date) -> list[date]:
    return [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]


def check_check_in(check_in: date, today: date, policy: BookingPolicy) -> None:
    """A check-in day is today or later at the hotel, and within the booking horizon."""
    if check_in < today:
        raise CheckInInPast(check_in=check_in.isoformat())
    if (check_in - today).days > policy.max_days_ahead:
        raise BookingTooFarAhead(max_days=policy.max_days_ahead)


def check_check_out(check_in: date, check_out: date, policy: BookingPolicy) -> int:
    """The number of nights from check-in to check-out, when the stay is long enough and not too long."""
    if check_out <= check_in:
        raise CheckOutNotAfterCheckIn()
    nights = (check_out - check_in).days
    if nights > policy.max_nights:
        raise StayTooLong(max_nights=policy.max_nights, nights=nights)
    return nights


def validate_stay(
    room: CatalogRoom, check_in: date, check_out: date, guests: int, now: datetime, policy: BookingPolicy
) -> None:
    """Every rule a stay must meet before any night is held, with the guest's own reasons."""
    if check_out <= check_in:
        raise CheckOutNotAfterCheckIn()
    check_check_in(check_in, room.today(now), policy)
    check_check_out(check_in, check_out, policy)
    if not 1 <= guests <= room.capacity:
        raise GuestCountOutOfRange(capacity=room.capacity, guests=guests)
    if not room.in_service:
        raise RoomOutOfService(number=room.number)


@dataclass
class Reservation:
    id: UUID
    guest_id: int
    guest_name: str
    hotel_id: int
    room_id: UUID
    check_in: date
    check_out: date
    guests: int
    total_price: int
    currency: str
    status: ReservationStatus
    created_at: datetime
    payment_id: UUID | None = None
    reason: str | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def nights(self) -> list[date]:
        return nights_between(self.check_in, self.check_out)

    @staticmethod
    def request(
        *,
        room: CatalogRoom,
        guest_id: int,
        guest_name: str,
        check_in: date,
        check_out: date,
        guests: int,
        now: datetime,
        policy: BookingPolicy,
        reservation_id: UUID | None = None,
    ) -> Reservation:
        validate_stay(room, check_in, check_out, guests, now, policy)
        nights = (check_out - check_in).days
        return Reservation(
            id=reservation_id or uuid4(),
            guest_id=guest_id,
            guest_name=guest_name[:64],
            hotel_id=room.hotel_id,
            room_id=room.room_id,
            check_in=check_in,
            check_out=check_out,
            guests=guests,
            total_price=nights * room.price_per_night,
            currency=room.currency,
            status=ReservationStatus.PENDING_PAYMENT,
            created_at=now,
        )

    def keep_quote(self, total: int | None, currency: str | None) -> None:
        """The guest pays the total they confirmed or is asked again: a request whose terms moved
        since the guest saw them (a new price, another currency) is refused with the new total.
        None accepts the catalog's current terms (trusted callers that show no price first)."""
        if total is not None and (self.total_price, self.currency) != (total, currency):
            raise QuoteChanged(total=self.total_price, currency=self.currency)

    def _require(self, action: str, *allowed: ReservationStatus) -> None:
        if self.status not in allowed:
            raise IllegalTransition(status=self.status.value, action=action)

    def mark_placed(self, payment_id: UUID, room: CatalogRoom) -> None:
        self._require("placed", ReservationStatus.PENDING_PAYMENT)
        self.status, self.payment_id = ReservationStatus.PLACED, payment_id
        self.events.append(
            ReservationPlaced(
                reservation_id=self.id,
                guest_id=self.guest_id,
                guest_name=self.guest_name,
                hotel_id=self.hotel_id,
                hotel_name=room.hotel_name,
                room_id=self.room_id,
                room_number=room.number,
                check_in=self.check_in,
                check_out=self.check_out,
                guests=self.guests,
                total_price=self.total_price,
                currency=self.currency,
                payment_id=payment_id,
            )
        )

    def confirm(self, decided_by_name: str) -> None:
        self._require("confirmed", ReservationStatus.PLACED)
        self.status = ReservationStatus.CONFIRMED
        self.events.append(
            ReservationConfirmed(
                reservation_id=self.id,
                guest_id=self.guest_id,
                hotel_id=self.hotel_id,
                decided_by_name=decided_by_name,
            )
        )

    def reject(self, reason: str) -> None:
        self._require("rejected", ReservationStatus.PLACED)
        self.status, self.reason = ReservationStatus.REJECTED, reason
        self.events.append(
            ReservationRejected(reservation_id=self.id, guest_id=self.guest_id, hotel_id=self.hotel_id, reason=reason)
        )

    def cancel(self, guest_id: int, now: datetime, timezone: str) -> None:
        if guest_id != self.guest_id:
            # Someone else's reservation: say nothing about it.
            raise NotFound(what="reservation")
        self._require("cancelled", ReservationStatus.PLACED, ReservationStatus.CONFIRMED)
        if now.astimezone(ZoneInfo(timezone)).date() >= self.check_in:
            raise CancelTooLate()
        self.status = ReservationStatus.CANCELLED
        self.events.append(ReservationCancelled(reservation_id=self.id, guest_id=self.guest_id, hotel_id=self.hotel_id))
