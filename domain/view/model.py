"""The read side: what a guest's reservation list and a hotel's board show, and the projections
that fill them from events alone. Events may arrive out of order or twice; a projection never lets
an older fact overwrite a newer one.

A reservation shows the price lines and the cancellation policy it was booked under, what a
cancellation or a no-show kept and gave back, its stay (checked in, checked out, no-show) and what
the payment actually refunded. Events of an earlier version (a rolling upgrade) lack some of it:
a ReservationPlaced v1 was one flat price under the default policy; a ReservationCancelled v1 or a
rejection gives everything back; a PaymentRefunded v1 kept nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from domain.hotel.events import ReservationApproved, RoomEvent
from domain.payment.events import PaymentApproved, PaymentRefunded
from domain.reservation.events import (
    ReservationCancelled,
    ReservationCheckedIn,
    ReservationCheckedOut,
    ReservationConfirmed,
    ReservationNoShow,
    ReservationPlaced,
    ReservationRejected,
)
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy, Quote, QuoteLine

# A reservation ends one way only (rejected, cancelled, a no-show, or checked out after a stay):
# the ends share the highest rank, so whichever arrives first stands.
STATUS_RANK = {
    "placed": 1,
    "confirmed": 2,
    "checked_in": 3,
    "rejected": 4,
    "cancelled": 4,
    "no_show": 4,
    "checked_out": 4,
}
# Ended with money to give back (unless the policy kept all of it: refund_amount 0).
REFUNDING = ("rejected", "cancelled", "no_show")
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
    # What the stay was booked at and under (from ReservationPlaced; a v1 event: one flat line and
    # the default policy, free until the day before check-in). Empty and None until it is known.
    price_lines: tuple[QuoteLine, ...] = ()
    policy: CancellationPolicy | None = None
    # A cancellation's or a no-show's account under the policy: what the hotel keeps and what
    # goes back. None: not said (a rejection, a v1 cancellation: everything goes back).
    fee: int | None = None
    refund_amount: int | None = None
    # The stay as the hotel marked it.
    checked_in_on: date | None = None
    left_on: date | None = None  # before check_out: the guest left early
    # What the payment gave back and kept, once it did (PaymentRefunded).
    refunded_amount: int | None = None
    kept_amount: int | None = None

    @property
    def quote(self) -> Quote:
        """The price lines with their total (`quote.total == total_price`), for the breakdown."""
        return Quote.from_dicts([line.to_dict() for line in self.price_lines])

    @property
    def refund_due(self) -> int | None:
        """What goes back to the guest now the reservation has ended: the policy's refund, or
        everything (a rejection, a v1 cancellation); None while it has not ended that way."""
        if self.status not in REFUNDING:
            return None
        return self.total_price if self.refund_amount is None else self.refund_amount


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


def _booked(event: ReservationPlaced) -> tuple[tuple[QuoteLine, ...], CancellationPolicy]:
    """The price lines and the policy a placed reservation was booked under."""
    if event.price_lines is None:  # v1: one price every night, the default policy
        nights = (event.check_out - event.check_in).days
        lines = Quote.flat(nights, event.total_price // max(nights, 1)).lines
    else:
        lines = Quote.from_dicts(event.price_lines).lines
    return lines, CancellationPolicy() if event.policy is None else CancellationPolicy.from_dict(event.policy)


def project_reservation(event: Event, row: ReservationView | None) -> ReservationView | None:
    """The new row for the reservation the event is about (None: the event does not concern it)."""
    match event:
        case ReservationPlaced():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            lines, policy = _booked(event)
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
                price_lines=lines,
                policy=policy,
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
            return _with_status(base, "cancelled", event.occurred_at, fee=event.fee, refund_amount=event.refund_amount)
        case ReservationNoShow():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "no_show", event.occurred_at, fee=event.fee, refund_amount=event.refund_amount)
        case ReservationCheckedIn():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "checked_in", event.occurred_at, checked_in_on=event.on)
        case ReservationCheckedOut():
            base = row or ReservationView(event.reservation_id, event.guest_id, event.hotel_id)
            return _with_status(base, "checked_out", event.occurred_at, left_on=event.on)
        case ReservationApproved():
            # The decision is known before the reservation context confirms it: show who decided.
            return replace(row, decided_by_name=event.decided_by_name) if row else None
        case PaymentApproved():
            base = row or ReservationView(event.reservation_id, event.guest_id, 0)
            return _with_payment(base, "approved")
        case PaymentRefunded():
            base = row or ReservationView(event.reservation_id, event.guest_id, 0)
            if base.refunded_amount is None:  # one refund per payment: the first account stands
                base = replace(base, refunded_amount=event.amount, kept_amount=event.kept)
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
