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
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
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
from domain.shared.terms import CancellationPolicy, HotelTerms, Quote


@dataclass(frozen=True)
class BookingPolicy:
    max_nights: int = 30
    max_days_ahead: int = 730


@dataclass(frozen=True)
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
    CHECKED_IN = "checked_in"  # the guest arrived (marked by a manager)
    CHECKED_OUT = "checked_out"  # the guest left; nights after the departure day are free again
    NO_SHOW = "no_show"  # not checked in by the hotel's no-show hour the day after arrival

    @property
    def live(self) -> bool:
        """Holding its nights now."""
        return self in (self.PENDING_PAYMENT, self.PLACED, self.CONFIRMED, self.CHECKED_IN)


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
    room: CatalogRoom,
    check_in: date,
    check_out: date,
    guests: int,
    now: datetime,
    policy: BookingPolicy,
    terms: HotelTerms | None = None,
) -> None:
    """Every rule a stay must meet before any night is held, with the guest's own reasons: the
    system's (booking horizon, longest stay) and the hotel's (its minimum and maximum nights)."""
    if check_out <= check_in:
        raise CheckOutNotAfterCheckIn()
    check_check_in(check_in, room.today(now), policy)
    check_check_out(check_in, check_out, policy)
    (terms or HotelTerms()).check_stay(room.room_id, check_in, check_out, policy.max_nights)
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
    # The price lines and the cancellation policy the stay was booked under: rules changed later
    # change neither. A reservation from before price rules: one flat line, the default policy.
    quote: Quote | None = None
    policy: CancellationPolicy = field(default_factory=CancellationPolicy)
    fee: int | None = None  # kept by the hotel (cancelled or no-show)
    refund_amount: int | None = None  # given back (cancelled or no-show)
    left_on: date | None = None  # the day a checked-out guest left
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def nights(self) -> list[date]:
        return nights_between(self.check_in, self.check_out)

    @property
    def price_lines(self) -> Quote:
        if self.quote is not None:
            return self.quote
        count = (self.check_out - self.check_in).days
        return Quote.flat(count, self.total_price // max(count, 1))

    def cancellation_terms(self, today: date) -> tuple[int, int]:
        """(fee, refund) if the guest cancelled on the hotel-local `today`."""
        fee = self.policy.fee_for(self.price_lines, self.check_in, today)
        return fee, self.total_price - fee

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
        terms: HotelTerms | None = None,
    ) -> Reservation:
        terms = terms or HotelTerms()
        validate_stay(room, check_in, check_out, guests, now, policy, terms)
        quote = terms.quote(room.room_id, room.price_per_night, check_in, check_out, guests)
        return Reservation(
            id=reservation_id or uuid4(),
            guest_id=guest_id,
            guest_name=guest_name[:64],
            hotel_id=room.hotel_id,
            room_id=room.room_id,
            check_in=check_in,
            check_out=check_out,
            guests=guests,
            total_price=quote.total,
            currency=room.currency,
            status=ReservationStatus.PENDING_PAYMENT,
            created_at=now,
            quote=quote,
            policy=terms.policy,
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
                price_lines=self.price_lines.to_dicts(),
                policy=self.policy.to_dict(),
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

    def cancellation(self, guest_id: int, now: datetime, timezone: str) -> tuple[int, int]:
        """(fee, refund) if the guest cancelled now; refused as `cancel` would refuse it."""
        if guest_id != self.guest_id:
            # Someone else's reservation: say nothing about it.
            raise NotFound(what="reservation")
        self._require("cancelled", ReservationStatus.PLACED, ReservationStatus.CONFIRMED)
        today = now.astimezone(ZoneInfo(timezone)).date()
        if today >= self.check_in:
            raise CancelTooLate()
        if self.status is ReservationStatus.PLACED:
            # Not accepted by the hotel yet: the guest withdraws the request, and pays nothing for it.
            return 0, self.total_price
        return self.cancellation_terms(today)

    def cancel(self, guest_id: int, now: datetime, timezone: str) -> None:
        fee, refund = self.cancellation(guest_id, now, timezone)
        self.status, self.fee, self.refund_amount = ReservationStatus.CANCELLED, fee, refund
        self.events.append(
            ReservationCancelled(
                reservation_id=self.id,
                guest_id=self.guest_id,
                hotel_id=self.hotel_id,
                fee=fee,
                refund_amount=refund,
                currency=self.currency,
            )
        )

    # --- the stay, as the hotel marks it (from the hotel's events) ------------------------------

    def check_in_guest(self, on: date) -> None:
        self._require("checked_in", ReservationStatus.CONFIRMED)
        self.status = ReservationStatus.CHECKED_IN
        self.events.append(
            ReservationCheckedIn(reservation_id=self.id, guest_id=self.guest_id, hotel_id=self.hotel_id, on=on)
        )

    def check_out_guest(self, on: date) -> list[date]:
        """The guest left on `on`: the nights from then on that were booked are free again (returned)."""
        self._require("checked_out", ReservationStatus.CHECKED_IN)
        self.status, self.left_on = ReservationStatus.CHECKED_OUT, on
        self.events.append(
            ReservationCheckedOut(
                reservation_id=self.id,
                guest_id=self.guest_id,
                hotel_id=self.hotel_id,
                on=on,
                early=on < self.check_out,
            )
        )
        return [night for night in self.nights if night >= on]

    def no_show(self) -> None:
        """Not arrived: the policy's fee as on the check-in day is kept, the rest goes back."""
        self._require("no_show", ReservationStatus.CONFIRMED)
        fee, refund = self.cancellation_terms(self.check_in)
        self.status, self.fee, self.refund_amount = ReservationStatus.NO_SHOW, fee, refund
        self.events.append(
            ReservationNoShow(
                reservation_id=self.id,
                guest_id=self.guest_id,
                hotel_id=self.hotel_id,
                fee=fee,
                refund_amount=refund,
                currency=self.currency,
            )
        )
