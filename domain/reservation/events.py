from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class ReservationPlaced(Event):
    """A reservation whose payment succeeded; it now waits for the hotel's decision."""

    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "placed"

    reservation_id: UUID
    guest_id: int
    guest_name: str
    hotel_id: int
    hotel_name: str
    room_id: UUID
    room_number: str
    check_in: date
    check_out: date
    guests: int
    total_price: int
    currency: str
    payment_id: UUID


@dataclass(frozen=True, kw_only=True)
class ReservationConfirmed(Event):
    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "confirmed"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    decided_by_name: str


@dataclass(frozen=True, kw_only=True)
class ReservationRejected(Event):
    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "rejected"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReservationCancelled(Event):
    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "cancelled"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
