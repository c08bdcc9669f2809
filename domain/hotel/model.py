"""Hotels, their rooms and managers, and the approval requests managers decide."""

from __future__ import annotations

import enum
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from uuid import UUID, uuid4

from domain.hotel.events import (
    ApprovalRequested,
    ApprovalWithdrawn,
    GuestCheckedIn,
    GuestCheckedOut,
    GuestNoShow,
    ReservationApproved,
    ReservationRejectedByHotel,
    RoomCreated,
    RoomEvent,
    RoomUpdated,
)
from domain.shared.errors import (
    AlreadyDecided,
    NotStaying,
    RoomCapacityOutOfRange,
    RoomPriceNotPositive,
    RoomPriceTooHigh,
    TextEmpty,
    TextTooLong,
    UnknownCurrency,
    UnknownTimezone,
)
from domain.shared.events import Event

RoomEventT = TypeVar("RoomEventT", bound=RoomEvent)
MAX_ROOM_CAPACITY = 20
MAX_PRICE_PER_NIGHT = 100_000_000  # minor units
MAX_TEXT = 64
MAX_ROOM_NUMBER = 16
MAX_REASON = 200


def clean_text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    """`value` with its whitespace tidied; `what` names the field for the error (e.g. "room_type")."""
    value = " ".join(value.split())
    if not value:
        raise TextEmpty(what=what)
    if len(value) > limit:
        raise TextTooLong(what=what, limit=limit)
    return value


def room_number(value: str) -> str:
    return clean_text(value, "room_number", MAX_ROOM_NUMBER)


def clean_room_type(value: str) -> str:
    return clean_text(value, "room_type")


def rejection_reason(value: str) -> str:
    return clean_text(value, "reason", MAX_REASON)


def check_capacity(capacity: int) -> int:
    if not 1 <= capacity <= MAX_ROOM_CAPACITY:
        raise RoomCapacityOutOfRange(max=MAX_ROOM_CAPACITY)
    return capacity


def check_price(price_per_night: int, currency: str) -> int:
    """A price per night in minor units of the hotel's currency."""
    if price_per_night <= 0:
        raise RoomPriceNotPositive()
    if price_per_night > MAX_PRICE_PER_NIGHT:
        raise RoomPriceTooHigh(max=MAX_PRICE_PER_NIGHT, currency=currency)
    return price_per_night


@dataclass
class Hotel:
    id: int | None
    name: str
    city: str
    timezone: str
    currency: str
    managers: set[int] = field(default_factory=set)

    @staticmethod
    def create(name: str, city: str, timezone: str, currency: str) -> Hotel:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise UnknownTimezone(timezone=timezone[:64]) from None
        code = currency.strip().upper()
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise UnknownCurrency(currency=currency.strip()[:16])
        return Hotel(None, clean_text(name, "hotel_name"), clean_text(city, "city"), timezone, code)

    def is_manager(self, user_id: int) -> bool:
        return user_id in self.managers

    def today(self, now: datetime) -> date:
        return now.astimezone(zoneinfo.ZoneInfo(self.timezone)).date()


@dataclass
class Room:
    id: UUID
    hotel_id: int
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    in_service: bool = True
    revision: int = 1
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @staticmethod
    def create(hotel: Hotel, number: str, room_type: str, capacity: int, price_per_night: int) -> Room:
        assert hotel.id is not None
        room = Room(
            uuid4(),
            hotel.id,
            room_number(number),
            clean_room_type(room_type),
            check_capacity(capacity),
            check_price(price_per_night, hotel.currency),
        )
        room.events.append(room.snapshot(RoomCreated, hotel))
        return room

    def update(
        self,
        hotel: Hotel,
        *,
        room_type: str | None = None,
        capacity: int | None = None,
        price_per_night: int | None = None,
        in_service: bool | None = None,
    ) -> None:
        new_capacity = self.capacity if capacity is None else capacity
        new_price = self.price_per_night if price_per_night is None else price_per_night
        check_capacity(new_capacity)
        check_price(new_price, hotel.currency)
        if room_type is not None:
            self.room_type = clean_room_type(room_type)
        self.capacity, self.price_per_night = new_capacity, new_price
        if in_service is not None:
            self.in_service = in_service
        self.revision += 1
        self.events.append(self.snapshot(RoomUpdated, hotel))

    def snapshot(self, kind: type[RoomEventT], hotel: Hotel) -> RoomEventT:
        return kind(
            room_id=self.id,
            hotel_id=self.hotel_id,
            hotel_name=hotel.name,
            timezone=hotel.timezone,
            currency=hotel.currency,
            number=self.number,
            room_type=self.room_type,
            capacity=self.capacity,
            price_per_night=self.price_per_night,
            in_service=self.in_service,
            revision=self.revision,
        )


class StayStatus(enum.StrEnum):
    """Where an approved stay is, as the hotel's managers mark it (or the no-show sweep)."""

    EXPECTED = "expected"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    NO_SHOW = "no_show"


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the guest cancelled while it awaited a decision
    CANCELLED = "cancelled"  # the guest cancelled after it was decided


@dataclass
class ApprovalRequest:
    """A placed reservation waiting for one of the hotel's managers to decide it."""

    reservation_id: UUID
    hotel_id: int
    room_id: UUID
    room_number: str
    guest_id: int
    guest_name: str
    check_in: date
    check_out: date
    guests: int
    total_price: int
    currency: str
    requested_at: datetime
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: int | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    reminded_at: datetime | None = None
    withdrawn_at: datetime | None = None
    stay: StayStatus = StayStatus.EXPECTED
    stay_changed_on: date | None = None  # the hotel-local day of the last check-in/out or no-show
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    def _ensure_pending(self) -> None:
        if self.status is not ApprovalStatus.PENDING:
            raise AlreadyDecided(status=self.status.value)

    def approve(self, manager_id: int, manager_name: str, now: datetime) -> None:
        self._ensure_pending()
        self.status, self.decided_by, self.decided_by_name, self.decided_at = (
            ApprovalStatus.APPROVED,
            manager_id,
            manager_name,
            now,
        )
        self.events.append(
            ReservationApproved(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                decided_by=manager_id,
                decided_by_name=manager_name,
            )
        )

    def reject(self, manager_id: int, manager_name: str, reason: str, now: datetime) -> None:
        self._ensure_pending()
        reason = rejection_reason(reason)
        self.status, self.decided_by, self.decided_by_name, self.decided_at, self.reason = (
            ApprovalStatus.REJECTED,
            manager_id,
            manager_name,
            now,
            reason,
        )
        self.events.append(
            ReservationRejectedByHotel(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                decided_by=manager_id,
                decided_by_name=manager_name,
                reason=reason,
            )
        )

    def open(self, hotel_name: str) -> None:
        """Tell whoever listens that this request now awaits the managers' decision."""
        if self.status is not ApprovalStatus.PENDING:
            return  # the guest's cancellation overtook it: there is nothing to decide
        self.events.append(
            ApprovalRequested(
                reservation_id=self.reservation_id,
                guest_id=self.guest_id,
                hotel_id=self.hotel_id,
                hotel_name=hotel_name,
                room_number=self.room_number,
                guest_name=self.guest_name,
                check_in=self.check_in,
                check_out=self.check_out,
                guests=self.guests,
                total_price=self.total_price,
                currency=self.currency,
            )
        )

    def withdraw(self, now: datetime) -> None:
        """The guest cancelled. Pending, nothing is left to decide (a later Approve press is
        refused); decided, the decision stands in the record but the stay will not happen."""
        if self.status in (ApprovalStatus.WITHDRAWN, ApprovalStatus.CANCELLED):
            return
        previous = self.status
        if previous is ApprovalStatus.PENDING:
            self.status, self.decided_at = ApprovalStatus.WITHDRAWN, now
        else:
            self.status = ApprovalStatus.CANCELLED
        self.withdrawn_at = now
        self.events.append(
            ApprovalWithdrawn(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                previous_status=previous.value,
            )
        )

    # --- the stay --------------------------------------------------------------------------------

    def _ensure_stay(self, *allowed: StayStatus) -> None:
        if self.status is not ApprovalStatus.APPROVED:
            raise NotStaying(status=self.status.value)
        if self.stay not in allowed:
            raise NotStaying(status=self.stay.value)

    def mark_checked_in(self, manager_id: int, manager_name: str, today: date) -> None:
        """From the arrival day until the last night (hotel-local): a guest arriving late is
        still checked in, until the no-show sweep has marked them."""
        self._ensure_stay(StayStatus.EXPECTED)
        if not self.check_in <= today < self.check_out:
            raise NotStaying(status="not_today")
        self.stay, self.stay_changed_on = StayStatus.CHECKED_IN, today
        self.events.append(
            GuestCheckedIn(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                on=today,
                by=manager_id,
                by_name=manager_name,
            )
        )

    def mark_checked_out(self, manager_id: int, manager_name: str, today: date) -> None:
        """The guest leaves: on the booked day, or earlier (the remaining nights are freed)."""
        self._ensure_stay(StayStatus.CHECKED_IN)
        departure = min(max(today, (self.stay_changed_on or self.check_in) + timedelta(days=1)), self.check_out)
        self.stay, self.stay_changed_on = StayStatus.CHECKED_OUT, departure
        self.events.append(
            GuestCheckedOut(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                on=departure,
                by=manager_id,
                by_name=manager_name,
            )
        )

    def mark_no_show(self, today: date) -> bool:
        """The sweep's mark; False when the guest was checked in (or the stay ended) meanwhile."""
        if self.status is not ApprovalStatus.APPROVED or self.stay is not StayStatus.EXPECTED:
            return False
        self.stay, self.stay_changed_on = StayStatus.NO_SHOW, today
        self.events.append(
            GuestNoShow(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                guest_id=self.guest_id,
                check_in=self.check_in,
                on=today,
            )
        )
        return True
