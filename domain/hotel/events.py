from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
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

    reservation_id: UUID
    hotel_id: int
    decided_by: int
    decided_by_name: str


@dataclass(frozen=True, kw_only=True)
class ReservationRejectedByHotel(Event):
    context: ClassVar[str] = "hotel"
    name: ClassVar[str] = "reservation_rejected"

    reservation_id: UUID
    hotel_id: int
    decided_by: int
    decided_by_name: str
    reason: str
