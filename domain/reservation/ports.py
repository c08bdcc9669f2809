from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from domain.reservation.model import CatalogRoom, Reservation, ReservationStatus
from domain.shared.ports import UnitOfWork
from domain.shared.terms import HotelTerms


class Catalog(Protocol):
    async def get(self, room_id: UUID) -> CatalogRoom | None: ...
    async def upsert(self, room: CatalogRoom) -> bool:
        """Store a room snapshot unless a newer revision is already stored."""
        ...

    async def hotel_timezones(self) -> list[tuple[int, str]]:
        """(hotel id, timezone) of every hotel with a room in the catalog."""
        ...

    async def terms(self, hotel_id: int) -> HotelTerms:
        """The copy of the hotel's terms (the defaults while the hotel never set any)."""
        ...

    async def room_with_terms(self, room_id: UUID) -> tuple[CatalogRoom, HotelTerms] | None:
        """The room and its hotel's terms (as `terms` gives them), in one read: what a request is
        quoted from."""
        ...

    async def upsert_terms(self, hotel_id: int, terms: HotelTerms) -> bool:
        """Store the hotel's terms unless a newer revision is already stored."""
        ...


class Reservations(Protocol):
    async def add(self, reservation: Reservation) -> None: ...
    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Reservation | None: ...
    async def save(self, reservation: Reservation) -> None: ...
    async def delete(self, reservation_id: UUID) -> None: ...
    async def pending_payment_before(self, cutoff: datetime) -> list[Reservation]: ...
    async def confirmed_checking_in(self, hotel_id: int, day: date) -> list[Reservation]: ...


class HeldNights(Protocol):
    async def hold(self, reservation: Reservation) -> None:
        """Hold every night of the stay for this reservation; raises RoomTaken if any is held."""
        ...

    async def release(self, reservation_id: UUID) -> None: ...

    async def release_from(self, reservation_id: UUID, day: date) -> None:
        """Free the reservation's nights from `day` on (an early departure, a no-show)."""
        ...


class ReservationUnitOfWork(UnitOfWork, Protocol):
    @property
    def catalog(self) -> Catalog: ...

    @property
    def reservations(self) -> Reservations: ...

    @property
    def nights(self) -> HeldNights: ...


class PaymentGateway(Protocol):
    """The payment context as the reservation context sees it: a synchronous charge."""

    async def charge(self, *, reservation_id: UUID, guest_id: int, amount: int, currency: str) -> UUID:
        """Take the payment; returns the payment id. Raises PaymentDeclined, PaymentUnavailable
        or PaymentsBusy, having charged nothing."""
        ...

    async def approved_payment(self, reservation_id: UUID) -> UUID | None:
        """The id of the approved payment for this reservation, if one was taken."""
        ...


class Availability(Protocol):
    """What a guest may book, read from the reservation context's own catalog and held nights."""

    async def hotels(self) -> list[tuple[int, str]]: ...

    async def hotels_with_timezones(self) -> list[tuple[int, str, str]]:
        """`hotels` with each one's timezone, in the same read."""
        ...

    async def room(self, room_id: UUID) -> CatalogRoom | None: ...

    async def hotel_timezone(self, hotel_id: int) -> str | None: ...

    async def free_rooms(self, hotel_id: int, check_in: date, check_out: date, guests: int) -> list[CatalogRoom]: ...

    async def offer(
        self, hotel_id: int, check_in: date, check_out: date, guests: int
    ) -> tuple[list[CatalogRoom], HotelTerms | None]:
        """The free rooms and the terms they are quoted on, read together; None for the terms
        when no room is free."""
        ...

    async def full_nights(self, hotel_id: int, start: date, end: date) -> set[date]: ...

    async def terms(self, hotel_id: int) -> HotelTerms: ...


class ReservationStates(Protocol):
    """Where a reservation stands now, so that nobody is told of a state it has already left."""

    async def status(self, reservation_id: UUID) -> ReservationStatus | None: ...
