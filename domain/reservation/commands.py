from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.reservation.model import CatalogRoom
from domain.shared.events import Command
from domain.shared.terms import HotelTerms


@dataclass(frozen=True, kw_only=True)
class PlaceReservation(Command):
    guest_id: int
    guest_name: str
    room_id: UUID
    check_in: date
    check_out: date
    guests: int
    reservation_id: UUID | None = None  # lets a retried request stay the same reservation
    # The terms the guest confirmed: the total and its currency. The reservation is made on
    # exactly these or not at all (QuoteChanged). None accepts the catalog's current terms, for
    # trusted callers that show no price first (benchmarks, operators).
    total: int | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelReservation(Command):
    reservation_id: UUID
    guest_id: int


# --- what the reservation context is asked to do when the hotel speaks (consumers/reservation.py)


@dataclass(frozen=True, kw_only=True)
class ConfirmReservation(Command):
    reservation_id: UUID
    decided_by_name: str


@dataclass(frozen=True, kw_only=True)
class RejectReservation(Command):
    reservation_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class SyncCatalogRoom(Command):
    """A newer snapshot of a room for the reservation context's own catalog."""

    room: CatalogRoom


@dataclass(frozen=True, kw_only=True)
class SyncHotelTerms(Command):
    hotel_id: int
    terms: HotelTerms


@dataclass(frozen=True, kw_only=True)
class RecordCheckIn(Command):
    reservation_id: UUID
    on: date


@dataclass(frozen=True, kw_only=True)
class RecordCheckOut(Command):
    reservation_id: UUID
    on: date


@dataclass(frozen=True, kw_only=True)
class RecordNoShow(Command):
    reservation_id: UUID
    on: date


@dataclass(frozen=True, kw_only=True)
class QuoteCancellation(Command):
    """A question: what cancelling now would keep and give back (shown before the guest confirms)."""

    reservation_id: UUID
    guest_id: int


# --- timed work --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FindCheckInReminders(Command):
    """A question, not a change: confirmed reservations whose check-in is tomorrow where their
    hotel is, once the hotel's local time has reached `from_hour`."""

    now: datetime
    from_hour: int


@dataclass(frozen=True, kw_only=True)
class SettleStalePayments(Command):
    """Holds left waiting for their payment since before `created_before` (a crash mid-payment):
    place the paid ones, release the rest."""

    created_before: datetime
