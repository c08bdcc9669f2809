"""Hand-written in-memory fakes of the domain's ports: no I/O, no mocks."""

from __future__ import annotations

import copy
from datetime import date, datetime
from types import TracebackType
from typing import Any
from uuid import UUID

from domain.hotel.model import ApprovalRequest, ApprovalStatus, Hotel, Room, StayStatus
from domain.payment.model import Payment
from domain.reservation.model import CatalogRoom, Reservation, ReservationStatus
from domain.shared.errors import PaymentDeclined, PaymentUnavailable, RoomTaken
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy, HotelTerms


class FakeUnitOfWork:
    """Stores live in `self.store` (shared by every `async with`); a transaction works on a copy
    and only a commit replaces the store, so a failure leaves nothing behind."""

    def __init__(self) -> None:
        self.store: dict[str, Any] = self.empty()
        self.outbox: list[Event] = []
        self.inbox: set[tuple[str, str]] = set()
        self.commits = 0
        self._working: dict[str, Any] = {}
        self._pending: list[Event] = []
        self._inbox: set[tuple[str, str]] = set()
        self.seen_aggregates: list[Any] = []  # loaded or added by the repositories; see commit
        self._written: set[Any] = set()

    def empty(self) -> dict[str, Any]:
        return {}

    async def __aenter__(self) -> Any:
        self._working = copy.deepcopy(self.store)
        self._pending, self._inbox = [], set(self.inbox)
        self.seen_aggregates = []
        self._bind()
        return self

    def _bind(self) -> None: ...

    def saw(self, aggregate: Any) -> Any:
        """What a repository hands out or takes in: its events are collected at commit."""
        if aggregate is not None:
            self.seen_aggregates.append(aggregate)
        return aggregate

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._working, self._pending = {}, []

    def emit(self, *events: Event) -> None:
        self._pending.extend(events)

    async def commit(self) -> None:
        self.store = self._working
        # as the SQL unit of work: events emitted by hand and those of every aggregate seen, once
        for event in [*self._pending, *(e for a in self.seen_aggregates for e in a.events)]:
            if event.event_id not in self._written:
                self._written.add(event.event_id)
                self.outbox.append(event)
        self.inbox = self._inbox
        self._pending, self.seen_aggregates = [], []
        self.commits += 1
        self._working = copy.deepcopy(self.store)
        self._bind()

    async def rollback(self) -> None:
        self._working, self._pending, self.seen_aggregates = copy.deepcopy(self.store), [], []
        self._bind()

    async def seen(self, consumer: str, event_id: Any) -> bool:
        return (consumer, str(event_id)) in self._inbox

    async def lock(self, key: str) -> None:
        return None

    async def first_delivery(self, consumer: str, event_id: Any) -> bool:
        key = (consumer, str(event_id))
        if key in self._inbox:
            return False
        self._inbox.add(key)
        return True


def _clean(obj: Any) -> Any:
    obj = copy.deepcopy(obj)
    if hasattr(obj, "events"):
        obj.events = []
    return obj


# --- hotel -------------------------------------------------------------------------------------
class FakeHotels:
    def __init__(self, s: dict[str, Any]) -> None:
        self.s = s

    async def add(self, hotel: Hotel) -> Hotel:
        hotel.id = len(self.s["hotels"]) + 1
        self.s["hotels"][hotel.id] = _clean(hotel)
        return hotel

    async def get(self, hotel_id: int) -> Hotel | None:
        found = self.s["hotels"].get(hotel_id)
        return copy.deepcopy(found)

    async def all(self) -> list[Hotel]:
        return [copy.deepcopy(h) for h in self.s["hotels"].values()]

    async def add_manager(self, hotel_id: int, user_id: int) -> None:
        self.s["hotels"][hotel_id].managers.add(user_id)

    async def remove_manager(self, hotel_id: int, user_id: int) -> bool:
        managers = self.s["hotels"][hotel_id].managers
        if user_id in managers:
            managers.discard(user_id)
            return True
        return False

    async def managed_by(self, user_id: int) -> list[Hotel]:
        return [copy.deepcopy(h) for h in self.s["hotels"].values() if user_id in h.managers]


class FakeRooms:
    def __init__(self, s: dict[str, Any], uow: FakeUnitOfWork) -> None:
        self.s, self.uow = s, uow

    async def add(self, room: Room) -> None:
        self.s["rooms"][room.id] = _clean(self.uow.saw(room))

    async def get(self, room_id: UUID) -> Room | None:
        return self.uow.saw(copy.deepcopy(self.s["rooms"].get(room_id)))  # type: ignore[no-any-return]

    async def save(self, room: Room) -> None:
        self.s["rooms"][room.id] = _clean(room)

    async def number_taken(self, hotel_id: int, number: str) -> bool:
        return any(r.hotel_id == hotel_id and r.number.lower() == number.lower() for r in self.s["rooms"].values())

    async def of_hotel(self, hotel_id: int) -> list[Room]:
        return [copy.deepcopy(r) for r in self.s["rooms"].values() if r.hotel_id == hotel_id]


class FakeApprovals:
    def __init__(self, s: dict[str, Any], uow: FakeUnitOfWork) -> None:
        self.s, self.uow = s, uow

    async def add(self, request: ApprovalRequest) -> bool:
        if request.reservation_id in self.s["approvals"]:
            return False
        self.s["approvals"][request.reservation_id] = _clean(self.uow.saw(request))
        return True

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> ApprovalRequest | None:
        return self.uow.saw(copy.deepcopy(self.s["approvals"].get(reservation_id)))  # type: ignore[no-any-return]

    async def save(self, request: ApprovalRequest) -> None:
        self.s["approvals"][request.reservation_id] = _clean(request)

    async def remember_withdrawal(self, reservation_id: UUID, at: datetime) -> None:
        self.s["withdrawals"].setdefault(reservation_id, at)

    async def withdrawn_at(self, reservation_id: UUID) -> datetime | None:
        return self.s["withdrawals"].get(reservation_id)  # type: ignore[no-any-return]

    async def save_stay(self, request: ApprovalRequest, previous: StayStatus) -> bool:
        stored = self.s["approvals"].get(request.reservation_id)
        if stored is None or stored.stay is not previous:
            return False
        self.s["approvals"][request.reservation_id] = _clean(request)
        return True

    async def expected_arriving_by(self, hotel_id: int, check_in_before: date) -> list[UUID]:
        return [
            r.reservation_id
            for r in self.s["approvals"].values()
            if r.hotel_id == hotel_id
            and r.status is ApprovalStatus.APPROVED
            and r.stay is StayStatus.EXPECTED
            and r.check_in < check_in_before
        ]


class FakeTerms:
    def __init__(self, s: dict[str, Any]) -> None:
        self.s = s

    async def get(self, hotel_id: int) -> HotelTerms | None:
        return self.s["terms"].get(hotel_id)  # type: ignore[no-any-return]

    async def save(self, hotel_id: int, terms: HotelTerms, expected_revision: int) -> bool:
        current = self.s["terms"].get(hotel_id)
        if (current.revision if current else 0) != expected_revision:
            return False
        self.s["terms"][hotel_id] = terms
        return True

    async def default_policy(self) -> CancellationPolicy | None:
        return self.s["defaults"].get("policy")  # type: ignore[no-any-return]

    async def set_default_policy(self, policy: CancellationPolicy) -> None:
        self.s["defaults"]["policy"] = policy


class FakeHotelUoW(FakeUnitOfWork):
    def empty(self) -> dict[str, Any]:
        return {"hotels": {}, "rooms": {}, "approvals": {}, "withdrawals": {}, "terms": {}, "defaults": {}}

    def _bind(self) -> None:
        self.hotels = FakeHotels(self._working)
        self.rooms = FakeRooms(self._working, self)
        self.approvals = FakeApprovals(self._working, self)
        self.terms = FakeTerms(self._working)


# --- reservation -------------------------------------------------------------------------------
class FakeCatalog:
    def __init__(self, s: dict[str, Any]) -> None:
        self.s = s

    async def get(self, room_id: UUID) -> CatalogRoom | None:
        return copy.deepcopy(self.s["catalog"].get(room_id))

    async def upsert(self, room: CatalogRoom) -> bool:
        current = self.s["catalog"].get(room.room_id)
        if current is not None and current.revision >= room.revision:
            return False
        self.s["catalog"][room.room_id] = copy.deepcopy(room)
        return True

    async def hotel_timezones(self) -> list[tuple[int, str]]:
        return sorted({(r.hotel_id, r.timezone) for r in self.s["catalog"].values()})

    async def terms(self, hotel_id: int) -> HotelTerms:
        return self.s["terms"].get(hotel_id) or HotelTerms()  # type: ignore[no-any-return]

    async def room_with_terms(self, room_id: UUID) -> tuple[CatalogRoom, HotelTerms] | None:
        room = await self.get(room_id)
        return (room, await self.terms(room.hotel_id)) if room is not None else None

    async def upsert_terms(self, hotel_id: int, terms: HotelTerms) -> bool:
        current = self.s["terms"].get(hotel_id)
        if current is not None and current.revision >= terms.revision:
            return False
        self.s["terms"][hotel_id] = terms
        return True


class FakeReservations:
    def __init__(self, s: dict[str, Any], uow: FakeUnitOfWork) -> None:
        self.s, self.uow = s, uow

    async def add(self, reservation: Reservation) -> None:
        if reservation.id in self.s["reservations"]:
            raise RoomTaken()
        self.s["reservations"][reservation.id] = _clean(self.uow.saw(reservation))

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Reservation | None:
        return self.uow.saw(copy.deepcopy(self.s["reservations"].get(reservation_id)))  # type: ignore[no-any-return]

    async def save(self, reservation: Reservation) -> None:
        self.s["reservations"][reservation.id] = _clean(reservation)

    async def delete(self, reservation_id: UUID) -> None:
        self.s["reservations"].pop(reservation_id, None)

    async def pending_payment_before(self, cutoff: datetime) -> list[Reservation]:
        return [
            copy.deepcopy(r)
            for r in self.s["reservations"].values()
            if r.status is ReservationStatus.PENDING_PAYMENT and r.created_at <= cutoff
        ]


class FakeNights:
    def __init__(self, s: dict[str, Any]) -> None:
        self.s = s

    async def hold(self, reservation: Reservation) -> None:
        # Same rule as the database's primary key on (room_id, night).
        keys = [(reservation.room_id, n) for n in reservation.nights]
        if any(k in self.s["nights"] for k in keys):
            raise RoomTaken()
        for k in keys:
            self.s["nights"][k] = reservation.id

    async def release(self, reservation_id: UUID) -> None:
        for k in [k for k, v in self.s["nights"].items() if v == reservation_id]:
            del self.s["nights"][k]

    async def release_from(self, reservation_id: UUID, day: date) -> None:
        for k in [k for k, v in self.s["nights"].items() if v == reservation_id and k[1] >= day]:
            del self.s["nights"][k]


class FakeReservationUoW(FakeUnitOfWork):
    def empty(self) -> dict[str, Any]:
        return {"catalog": {}, "reservations": {}, "nights": {}, "terms": {}}

    def _bind(self) -> None:
        self.catalog = FakeCatalog(self._working)
        self.reservations = FakeReservations(self._working, self)
        self.nights = FakeNights(self._working)


# --- payment -----------------------------------------------------------------------------------
class FakePayments:
    def __init__(self, s: dict[str, Any], uow: FakeUnitOfWork) -> None:
        self.s, self.uow = s, uow

    async def add(self, payment: Payment) -> bool:
        if payment.reservation_id in self.s["payments"]:
            return False
        self.s["payments"][payment.reservation_id] = _clean(self.uow.saw(payment))
        return True

    async def by_reservation(self, reservation_id: UUID, *, for_update: bool = False) -> Payment | None:
        return self.uow.saw(copy.deepcopy(self.s["payments"].get(reservation_id)))  # type: ignore[no-any-return]

    async def save(self, payment: Payment) -> None:
        self.s["payments"][payment.reservation_id] = _clean(payment)


class FakePaymentUoW(FakeUnitOfWork):
    def empty(self) -> dict[str, Any]:
        return {"payments": {}}

    def _bind(self) -> None:
        self.payments = FakePayments(self._working, self)


class FakeProvider:
    """Answers as told: 'ok', 'decline' or 'fail'; counts every call it actually received."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.charged: dict[str, int] = {}
        self.refunded: dict[str, int] = {}
        self.voided: list[str] = []
        self.calls = 0

    async def charge(self, *, key: str, amount: int, currency: str) -> str:
        self.calls += 1
        if self.mode == "decline":
            raise PaymentDeclined(reason="insufficient funds")
        if self.mode == "fail":
            raise PaymentUnavailable()
        self.charged.setdefault(key, amount)
        return f"ch-{key}"

    async def void(self, *, key: str, amount: int, currency: str) -> None:
        self.voided.append(key)
        self.charged.pop(key, None)

    async def refund(self, *, key: str, charge_ref: str, amount: int, currency: str) -> str:
        self.calls += 1
        if self.mode == "fail":
            raise PaymentUnavailable()
        self.refunded.setdefault(key, amount)
        return f"re-{key}"
