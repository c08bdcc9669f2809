"""The read side: what a guest's reservation list and a hotel's board show, and the projections
that fill them from events alone. Events may arrive out of order or twice; a projection never lets
an older fact overwrite a newer one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from domain.hotel.events import ReservationApproved, RoomEvent
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationConfirmed,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event

STATUS_RANK = {"placed": 1, "confirmed": 2, "rejected": 3, "cancelled": 3}
PAYMENT_RANK = {"none": 0, "approved": 1, "refunded": 2}


@dataclass(frozen=True)
class ReservationView:
    reservation_id: UUID
    guest_id: int
    hotel_id: int
    status: str = "placed"
    payment_status: str = "none"
    hotel_name: str = ""
    room_id: UUID | None = None
    room_number: str = ""
    guest_name: str = ""
    check_in: date | None = None
    check_out: date | None = None
    guests: int = 0
    total_price: int = 0
    currency: str = ""
    reason: str | None = None
    decided_by_name: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RoomView:
    room_id: UUID
    hotel_id: int
    hotel_name: str
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    currency: str
    in_service: bool
    revision: int


def _with_status(row: ReservationView, status: str, at: datetime, **facts: object) -> ReservationView:
    """Record what the event says. Facts (who decided, why) are kept whatever the order; the
    status only moves forward, so a late ReservationConfirmed never hides a cancellation."""
    known = {k: v for k, v in facts.items() if getattr(row, k) is None}
    row = replace(row, **known) if known else row  # type: ignore[arg-type]
    if STATUS_RANK[status] <= STATUS_RANK[row.status] and not (row.status == "placed" == status):
        return row
    return replace(row, status=status, updated_at=max(at, row.updated_at or at))


def _with_payment(row: ReservationView, payment_status: str) -> ReservationView:
    if PAYMENT_RANK[payment_status] <= PAYMENT_RANK[row.payment_status]:
        return row
    return replace(row, payment_status=payment_status)


def project_reservation(event: Event, row: ReservationView | None) -> ReservationView | None:
    """The new row for the reservation the event is about (None: the event does not concern it)."""
    match event:
        case ReservationPlaced():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            base = replace(
                base,
                hotel_id=event.hotel_id,
                hotel_name=event.hotel_name,
                room_id=event.room_id,
                room_number=event.room_number,
                guest_name=event.guest_name,
                check_in=event.check_in,
                check_out=event.check_out,
                guests=event.guests,
                total_price=event.total_price,
                currency=event.currency,
            )
            return _with_payment(_with_status(base, "placed", event.occurred_at), "approved")
        case ReservationConfirmed():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "confirmed", event.occurred_at, decided_by_name=event.decided_by_name)
        case ReservationRejected():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "rejected", event.occurred_at, reason=event.reason)
        case ReservationCancelled():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "cancelled", event.occurred_at)
        case ReservationApproved():
            # The decision is known before the reservation context confirms it: show who decided.
            return replace(row, decided_by_name=event.decided_by_name) if row else None
        case PaymentApproved():
            base = row or ReservationView(event.reservation_id, event.guest_id, 0)
            return _with_payment(base, "approved")
        case PaymentRefunded():
            base = row or ReservationView(event.reservation_id, event.guest_id, 0)
            return _with_payment(base, "refunded")
    return None


def project_room(event: RoomEvent, row: RoomView | None) -> RoomView | None:
    if row is not None and row.revision >= event.revision:
        return None
    return RoomView(
        room_id=event.room_id,
        hotel_id=event.hotel_id,
        hotel_name=event.hotel_name,
        number=event.number,
        room_type=event.room_type,
        capacity=event.capacity,
        price_per_night=event.price_per_night,
        currency=event.currency,
        in_service=event.in_service,
        revision=event.revision,
    )
