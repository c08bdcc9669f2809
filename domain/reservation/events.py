from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.shared.events import Event


@dataclass(frozen=True, kw_only=True)
class ReservationPlaced(Event):
    """A reservation whose payment succeeded; it now waits for the hotel's decision."""

    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "placed"
    version: ClassVar[int] = 2  # v2 adds the price lines and the cancellation policy booked under

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
    # The quote's lines (domain.shared.terms.QuoteLine.to_dict) and the cancellation policy
    # (CancellationPolicy.to_dict) the stay was booked under. None on v1 events: one flat price,
    # free cancellation until the day before check-in.
    price_lines: list[dict[str, Any]] | None = None
    policy: dict[str, Any] | None = None


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
    version: ClassVar[int] = 2  # v2 adds what the cancellation policy keeps and gives back

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    # What the hotel keeps under the policy and what goes back to the guest, in `currency`.
    # None on v1 events: everything goes back.
    fee: int | None = None
    refund_amount: int | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReservationCheckedIn(Event):
    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "checked_in"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    on: date


@dataclass(frozen=True, kw_only=True)
class ReservationCheckedOut(Event):
    """The guest left on `on`; before the booked check-out the remaining nights are free again."""

    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "checked_out"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    on: date
    early: bool


@dataclass(frozen=True, kw_only=True)
class ReservationNoShow(Event):
    """The guest did not arrive: the policy's fee is kept, `refund_amount` goes back (may be 0)."""

    context: ClassVar[str] = "reservation"
    name: ClassVar[str] = "no_show"

    reservation_id: UUID
    guest_id: int
    hotel_id: int
    fee: int
    refund_amount: int
    currency: str
