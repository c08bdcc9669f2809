from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.shared.events import Command
from domain.shared.terms import CancellationPolicy, HotelTerms

# `actor_id` is the Telegram user asking; None means a trusted caller that already checked the
# admin role (the admin CLI, an admin command of the bot).


@dataclass(frozen=True, kw_only=True)
class AddHotel(Command):
    name: str
    city: str
    timezone: str
    currency: str


@dataclass(frozen=True, kw_only=True)
class GrantManager(Command):
    hotel_id: int
    user_id: int


@dataclass(frozen=True, kw_only=True)
class RevokeManager(Command):
    hotel_id: int
    user_id: int


@dataclass(frozen=True, kw_only=True)
class CreateRoom(Command):
    hotel_id: int
    number: str
    room_type: str
    capacity: int
    price_per_night: int
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateRoom(Command):
    room_id: UUID
    room_type: str | None = None
    capacity: int | None = None
    price_per_night: int | None = None
    in_service: bool | None = None
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveReservation(Command):
    reservation_id: UUID
    manager_id: int
    manager_name: str


@dataclass(frozen=True, kw_only=True)
class RejectReservation(Command):
    reservation_id: UUID
    manager_id: int | None  # None: the hotel itself, e.g. the approval deadline passed
    manager_name: str
    reason: str


# --- what the hotel is asked to do when another context speaks (see consumers/hotel.py) ---------


@dataclass(frozen=True, kw_only=True)
class OpenApprovalRequest(Command):
    """A paid reservation waits for one of the hotel's managers to decide it."""

    reservation_id: UUID
    hotel_id: int
    hotel_name: str  # as the guest saw it when booking (from the hotel's own room snapshot)
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


@dataclass(frozen=True, kw_only=True)
class WithdrawApprovalRequest(Command):
    """The guest cancelled the reservation: pending or already decided, the request is closed."""

    reservation_id: UUID
    at: datetime


# --- timed work (the scheduler asks; the hotel decides what is due) ----------------------------


@dataclass(frozen=True, kw_only=True)
class ClaimApprovalReminders(Command):
    """Requests still pending that were opened before `requested_before` and whose managers were
    not reminded yet: each is claimed (one claimer wins, across replicas) and returned."""

    requested_before: datetime
    now: datetime


@dataclass(frozen=True, kw_only=True)
class ReleaseApprovalReminder(Command):
    """The reminder could not be sent: give the claim back so the next tick tries again."""

    reservation_id: UUID


@dataclass(frozen=True, kw_only=True)
class RejectOverdueRequests(Command):
    """Reject, as the hotel, every request still pending that was opened before `requested_before`."""

    requested_before: datetime
    reason: str


# --- the hotel's terms and the stay ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChangeTerms(Command):
    """Replace the hotel's terms with `terms` (built from the current ones with HotelTerms'
    helpers). `expected_revision` is the revision they were built from: a manager who edited a
    copy another manager changed meanwhile is refused (InvalidTerms rule "stale"), not overwritten."""

    hotel_id: int
    terms: HotelTerms
    expected_revision: int
    actor_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SetDefaultPolicy(Command):
    """Admins: the cancellation policy a hotel added from now on starts with."""

    policy: CancellationPolicy


@dataclass(frozen=True, kw_only=True)
class CheckInGuest(Command):
    reservation_id: UUID
    manager_id: int
    manager_name: str


@dataclass(frozen=True, kw_only=True)
class CheckOutGuest(Command):
    reservation_id: UUID
    manager_id: int
    manager_name: str


@dataclass(frozen=True, kw_only=True)
class MarkNoShows(Command):
    """Timed: approved stays not checked in by `hour` (hotel-local) the day after arrival become
    no-shows, each once (under its row lock, so a check-in a moment earlier wins, and two
    scheduler replicas mark it once)."""

    now: datetime
    hour: int
