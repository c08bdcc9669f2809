from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class RoomEvent(Event):
    """A full snapshot of a room, so a consumer never needs to ask the hotel context anything.
    `revision` grows by one with every change; an older snapshot never overwrites a newer one."""

    context: ClassVar[str] = "hotel"
    correlation_field: ClassVar[str] = "room_id"

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


@dataclass(frozen=True, kw_only=True)
class RoomCreated(RoomEvent):
    name: ClassVar[str] = "room_created"


@dataclass(frozen=True, kw_only=True)
class RoomUpdated(RoomEvent):
    name: ClassVar[str] = "room_updated"


@dataclass(frozen=True, kw_only=True)
class ReservationApproved(Event):
    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "reservation_approved"
    version: ClassVar[int] = 2  # v2 adds guest_id

    reservation_id: UUID
    hotel_id: int
    decided_by: int
    decided_by_name: str
    # The guest the request is for: logs of every delivery carry it. None on events written
    # before it was added (a rolling upgrade may still deliver those).
    guest_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ReservationRejectedByHotel(Event):
    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "reservation_rejected"
    version: ClassVar[int] = 2  # v2 adds guest_id

    reservation_id: UUID
    hotel_id: int
    decided_by: int
    decided_by_name: str
    reason: str
    # The guest the request is for: logs of every delivery carry it. None on events written
    # before it was added (a rolling upgrade may still deliver those).
    guest_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApprovalRequested(Event):
    """A request is open for the hotel's managers to decide: everything their message shows."""

    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "approval_requested"
    version: ClassVar[int] = 2  # v2 adds guest_id

    reservation_id: UUID
    hotel_id: int
    hotel_name: str
    room_number: str
    guest_name: str
    check_in: date
    check_out: date
    guests: int
    total_price: int
    currency: str
    # The guest the request is for: logs of every delivery carry it. None on events written
    # before it was added (a rolling upgrade may still deliver those).
    guest_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApprovalWithdrawn(Event):
    """The guest cancelled: the request is closed. `previous_status` is what the managers saw
    until now ("pending": it awaited a decision; "approved" or "rejected": it was decided)."""

    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "approval_withdrawn"
    version: ClassVar[int] = 2  # v2 adds guest_id

    reservation_id: UUID
    hotel_id: int
    previous_status: str
    # The guest the request is for: logs of every delivery carry it. None on events written
    # before it was added (a rolling upgrade may still deliver those).
    guest_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class HotelTermsChanged(Event):
    """The hotel's terms as they are now, whole (domain.shared.terms.HotelTerms.to_dict):
    prices, stay limits, times, cancellation policy. `revision` grows with every change; an older
    copy never overwrites a newer one."""

    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "terms_changed"
    correlation_field: ClassVar[str] = "hotel_id"

    hotel_id: int
    revision: int
    terms: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class GuestCheckedIn(Event):
    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "guest_checked_in"

    reservation_id: UUID
    hotel_id: int
    guest_id: int
    on: date  # the hotel-local day
    by: int
    by_name: str


@dataclass(frozen=True, kw_only=True)
class GuestCheckedOut(Event):
    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "guest_checked_out"

    reservation_id: UUID
    hotel_id: int
    guest_id: int
    on: date  # the hotel-local day the guest left; before the booked check-out: an early departure
    by: int
    by_name: str


@dataclass(frozen=True, kw_only=True)
class GuestNoShow(Event):
    """A confirmed guest was not checked in by the hotel's no-show hour the day after arrival."""

    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "guest_no_show"

    reservation_id: UUID
    hotel_id: int
    guest_id: int
    check_in: date
    on: date  # the hotel-local day it was marked: the nights from then on are free again
