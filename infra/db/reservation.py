"""The reservation context's repositories, unit of work, and the guest-facing availability reads."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Text, bindparam, cast, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.reservation.checkout import Checkout, CheckoutStatus
from domain.reservation.model import CatalogRoom, Reservation, ReservationStatus
from domain.shared.errors import RoomTaken
from domain.shared.terms import CancellationPolicy, HotelTerms, Quote
from infra.db.shared_reads import SharedReads
from infra.db.tables import (
    catalog_rooms,
    catalog_terms,
    held_nights,
    reservation_checkouts,
    reservation_messaging,
    reservations,
)
from infra.db.uow import SqlUnitOfWork, inserting_ignored, updating

_ROOM_FIELDS = [c.name for c in catalog_rooms.columns]
_RESERVATION_FIELDS = [c.name for c in reservations.columns]

# Built once, executed with parameters (see infra.db.uow): these run on every booking.
_ROOM = select(catalog_rooms).where(catalog_rooms.c.room_id == bindparam("b_room"))
_ROOM_NEWER = updating(catalog_rooms, "room_id", catalog_rooms.c.revision < bindparam("b_revision"))
_ADD_RESERVATION = reservations.insert()
_RESERVATION = select(reservations).where(reservations.c.id == bindparam("b_id"))
_RESERVATION_FOR_UPDATE = _RESERVATION.with_for_update()
_SAVE_RESERVATION = updating(reservations, "id")
_HOTEL_TIMEZONES = select(catalog_rooms.c.hotel_id, catalog_rooms.c.timezone).distinct()
_CONFIRMED_CHECKING_IN = select(reservations).where(
    reservations.c.hotel_id == bindparam("b_hotel"),
    reservations.c.check_in == bindparam("b_day"),
    reservations.c.status == ReservationStatus.CONFIRMED.value,
)
_STATUS = select(reservations.c.status).where(reservations.c.id == bindparam("b_id"))
_DELETE_RESERVATION = delete(reservations).where(reservations.c.id == bindparam("b_id"))
_HOLD = held_nights.insert()
_RELEASE = delete(held_nights).where(held_nights.c.reservation_id == bindparam("b_id"))
_RELEASE_FROM = delete(held_nights).where(
    held_nights.c.reservation_id == bindparam("b_id"), held_nights.c.night >= bindparam("b_from")
)
_TERMS = select(catalog_terms.c.terms, catalog_terms.c.revision).where(catalog_terms.c.hotel_id == bindparam("b_hotel"))
_ROOM_WITH_TERMS = (
    select(catalog_rooms, catalog_terms.c.terms.label("t_terms"), catalog_terms.c.revision.label("t_revision"))
    .outerjoin(catalog_terms, catalog_terms.c.hotel_id == catalog_rooms.c.hotel_id)
    .where(catalog_rooms.c.room_id == bindparam("b_room"))
)
_TERMS_NEWER = updating(catalog_terms, "hotel_id", catalog_terms.c.revision < bindparam("revision_guard"))
_HOTELS = (
    select(catalog_rooms.c.hotel_id, func.min(catalog_rooms.c.hotel_name), func.min(catalog_rooms.c.timezone))
    .where(catalog_rooms.c.in_service.is_(True))
    .group_by(catalog_rooms.c.hotel_id)
    .order_by(catalog_rooms.c.hotel_id)
)
_TIMEZONE = select(catalog_rooms.c.timezone).where(catalog_rooms.c.hotel_id == bindparam("b_hotel")).limit(1)
_FREE_ROOMS = (
    select(catalog_rooms)
    .where(
        catalog_rooms.c.hotel_id == bindparam("b_hotel"),
        catalog_rooms.c.in_service.is_(True),
        catalog_rooms.c.capacity >= bindparam("b_guests"),
        ~exists().where(
            held_nights.c.room_id == catalog_rooms.c.room_id,
            held_nights.c.night >= bindparam("b_from"),
            held_nights.c.night < bindparam("b_to"),
        ),
    )
    .order_by(catalog_rooms.c.price_per_night, catalog_rooms.c.number)
)
# The free rooms with the hotel's terms beside them, one round trip for a screen that quotes them.
# The terms come as their JSON text and are read once, not once a room.
_FREE_ROOMS_WITH_TERMS = _FREE_ROOMS.add_columns(
    cast(catalog_terms.c.terms, Text).label("t_terms"), catalog_terms.c.revision.label("t_revision")
).outerjoin(catalog_terms, catalog_terms.c.hotel_id == catalog_rooms.c.hotel_id)
_FULL_NIGHTS = (
    select(held_nights.c.night)
    .join(catalog_rooms, catalog_rooms.c.room_id == held_nights.c.room_id)
    .where(
        catalog_rooms.c.hotel_id == bindparam("b_hotel"),
        catalog_rooms.c.in_service.is_(True),
        held_nights.c.night >= bindparam("b_from"),
        held_nights.c.night < bindparam("b_to"),
    )
    .group_by(held_nights.c.night)
    .having(
        func.count()
        >= select(func.count())
        .select_from(catalog_rooms)
        .where(catalog_rooms.c.hotel_id == bindparam("b_hotel"), catalog_rooms.c.in_service.is_(True))
        .scalar_subquery()
    )
)


_HOTEL_ROOMS = (
    select(catalog_rooms)
    .where(catalog_rooms.c.hotel_id == bindparam("b_hotel"))
    .order_by(catalog_rooms.c.number, catalog_rooms.c.room_id)
)
_HELD_IN_RANGE = (
    select(held_nights.c.room_id, held_nights.c.night, held_nights.c.reservation_id, reservations.c.status)
    .join(catalog_rooms, catalog_rooms.c.room_id == held_nights.c.room_id)
    .join(reservations, reservations.c.id == held_nights.c.reservation_id)
    .where(
        catalog_rooms.c.hotel_id == bindparam("b_hotel"),
        held_nights.c.night >= bindparam("b_from"),
        held_nights.c.night < bindparam("b_to"),
    )
)


def _terms(stored: dict[str, Any], revision: int) -> HotelTerms:
    return HotelTerms.from_dict(stored).with_changes(revision=revision)


def _catalog_room(row) -> CatalogRoom:  # type: ignore[no-untyped-def]
    """A row that begins with the catalog room's columns (`select(catalog_rooms, …)`); what
    follows them, such as the hotel's terms, is left to the caller."""
    return CatalogRoom(**dict(zip(_ROOM_FIELDS, row, strict=False)))


class SqlCatalog:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, room_id: UUID) -> CatalogRoom | None:
        row = (await self.conn.execute(_ROOM, {"b_room": room_id})).first()
        return _catalog_room(row) if row else None

    async def upsert(self, room: CatalogRoom) -> bool:
        values = {name: getattr(room, name) for name in _ROOM_FIELDS}
        inserted = await self.conn.execute(inserting_ignored(self.conn.dialect.name, catalog_rooms), values)
        if inserted.rowcount == 1:
            return True
        guard = {"b_room_id": room.room_id, "b_revision": room.revision}
        updated = await self.conn.execute(_ROOM_NEWER, {**values, **guard})
        return updated.rowcount == 1

    async def hotel_timezones(self) -> list[tuple[int, str]]:
        return [(hotel_id, tz) for hotel_id, tz in await self.conn.execute(_HOTEL_TIMEZONES)]

    async def terms(self, hotel_id: int) -> HotelTerms:
        row = (await self.conn.execute(_TERMS, {"b_hotel": hotel_id})).first()
        return _terms(row.terms, row.revision) if row else HotelTerms()

    async def room_with_terms(self, room_id: UUID) -> tuple[CatalogRoom, HotelTerms] | None:
        row = (await self.conn.execute(_ROOM_WITH_TERMS, {"b_room": room_id})).first()
        if row is None:
            return None
        terms = _terms(row.t_terms, row.t_revision) if row.t_terms is not None else HotelTerms()
        return _catalog_room(row), terms

    async def upsert_terms(self, hotel_id: int, terms: HotelTerms) -> bool:
        values = {"hotel_id": hotel_id, "revision": terms.revision, "terms": terms.to_dict()}
        inserted = await self.conn.execute(inserting_ignored(self.conn.dialect.name, catalog_terms), values)
        if inserted.rowcount == 1:
            return True
        guard = {"b_hotel_id": hotel_id, "revision_guard": terms.revision}
        updated = await self.conn.execute(_TERMS_NEWER, {"revision": terms.revision, "terms": values["terms"], **guard})
        return updated.rowcount == 1


def _reservation(row) -> Reservation:  # type: ignore[no-untyped-def]
    values = row._asdict()
    values["status"] = ReservationStatus(values["status"])
    lines, policy = values.pop("price_lines"), values.pop("policy")
    values["quote"] = Quote.from_dicts(lines) if lines else None
    values["policy"] = CancellationPolicy.from_dict(policy) if policy else CancellationPolicy()
    return Reservation(**values)


class SqlReservations:
    def __init__(self, conn: AsyncConnection, seen: list[Any] | None = None) -> None:
        self.conn = conn
        self.seen = [] if seen is None else seen  # the unit of work collects their events

    def _values(self, reservation: Reservation) -> dict[str, object]:
        values = {name: getattr(reservation, name) for name in _RESERVATION_FIELDS if name != "price_lines"}
        values["status"] = reservation.status.value
        values["price_lines"] = reservation.quote.to_dicts() if reservation.quote else None
        values["policy"] = reservation.policy.to_dict()
        return values

    async def add(self, reservation: Reservation) -> None:
        try:
            await self.conn.execute(_ADD_RESERVATION, self._values(reservation))
        except IntegrityError:
            raise RoomTaken() from None  # the same request id twice: the first one holds the room
        self.seen.append(reservation)

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Reservation | None:
        query = _RESERVATION_FOR_UPDATE if for_update else _RESERVATION
        row = (await self.conn.execute(query, {"b_id": reservation_id})).first()
        if row is None:
            return None
        reservation = _reservation(row)
        self.seen.append(reservation)
        return reservation

    async def save(self, reservation: Reservation) -> None:
        values = self._values(reservation)
        values["b_id"] = values.pop("id")
        await self.conn.execute(_SAVE_RESERVATION, values)

    async def delete(self, reservation_id: UUID) -> None:
        await self.conn.execute(_DELETE_RESERVATION, {"b_id": reservation_id})

    async def pending_payment_before(self, cutoff: datetime) -> list[Reservation]:
        rows = await self.conn.execute(
            select(reservations).where(
                reservations.c.status == ReservationStatus.PENDING_PAYMENT.value,
                reservations.c.created_at <= cutoff,
            )
        )
        return [_reservation(r) for r in rows]

    async def confirmed_checking_in(self, hotel_id: int, day: date) -> list[Reservation]:
        rows = await self.conn.execute(_CONFIRMED_CHECKING_IN, {"b_hotel": hotel_id, "b_day": day})
        return [_reservation(r) for r in rows]


class SqlHeldNights:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def hold(self, reservation: Reservation) -> None:
        # One multi-row INSERT, nights in ascending order: two overlapping requests meet on the
        # first common night, so they queue behind each other instead of deadlocking.
        try:
            await self.conn.execute(
                _HOLD,
                [
                    {"room_id": reservation.room_id, "night": n, "reservation_id": reservation.id}
                    for n in reservation.nights
                ],
            )
        except IntegrityError:
            raise RoomTaken() from None

    async def release(self, reservation_id: UUID) -> None:
        await self.conn.execute(_RELEASE, {"b_id": reservation_id})

    async def release_from(self, reservation_id: UUID, day: date) -> None:
        await self.conn.execute(_RELEASE_FROM, {"b_id": reservation_id, "b_from": day})


_CHECKOUT = select(reservation_checkouts).where(reservation_checkouts.c.reservation_id == bindparam("b_id"))
_CHECKOUT_FOR_UPDATE = _CHECKOUT.with_for_update()
_SAVE_CHECKOUT = updating(reservation_checkouts, "reservation_id")
_CHECKOUT_FIELDS = [c.name for c in reservation_checkouts.columns]


class SqlCheckouts:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _values(self, checkout: Checkout) -> dict[str, object]:
        values = {name: getattr(checkout, name) for name in _CHECKOUT_FIELDS if name not in ("price_lines", "policy")}
        values["status"] = checkout.status.value
        values["price_lines"] = checkout.quote.to_dicts() if checkout.quote else None
        values["policy"] = checkout.policy.to_dict() if checkout.policy else None
        return values

    @staticmethod
    def _checkout(row) -> Checkout:  # type: ignore[no-untyped-def]
        values = row._asdict()
        values["status"] = CheckoutStatus(values["status"])
        lines, policy = values.pop("price_lines"), values.pop("policy")
        values["quote"] = Quote.from_dicts(lines) if lines else None
        values["policy"] = CancellationPolicy.from_dict(policy) if policy else None
        return Checkout(**values)

    async def add(self, checkout: Checkout) -> None:
        try:
            await self.conn.execute(reservation_checkouts.insert(), self._values(checkout))
        except IntegrityError:
            raise RoomTaken() from None

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Checkout | None:
        query = _CHECKOUT_FOR_UPDATE if for_update else _CHECKOUT
        row = (await self.conn.execute(query, {"b_id": reservation_id})).first()
        return self._checkout(row) if row else None

    async def save(self, checkout: Checkout) -> None:
        values = self._values(checkout)
        values["b_reservation_id"] = values.pop("reservation_id")
        await self.conn.execute(_SAVE_CHECKOUT, values)

    async def to_settle(self, now: datetime, released_since: datetime) -> list[Checkout]:
        c = reservation_checkouts.c
        rows = await self.conn.execute(
            select(reservation_checkouts)
            .where(
                c.status.in_([CheckoutStatus.HELD.value, CheckoutStatus.REFUNDING.value])
                | ((c.status == CheckoutStatus.RELEASED.value) & (c.expires_at >= released_since))
            )
            .order_by(c.expires_at)
        )
        return [self._checkout(r) for r in rows]


class ReservationUoW(SqlUnitOfWork):
    catalog: SqlCatalog
    reservations: SqlReservations
    nights: SqlHeldNights
    checkouts: SqlCheckouts

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, reservation_messaging, after_commit)

    def _bind(self, conn: AsyncConnection) -> None:
        reservations = SqlReservations(conn, self.seen_aggregates)
        self.catalog, self.reservations, self.nights = SqlCatalog(conn), reservations, SqlHeldNights(conn)
        self.checkouts = SqlCheckouts(conn)


class AvailabilityQueries:
    """What the guest sees while booking: hotels that take bookings, free rooms, full nights.
    Reads only the reservation context's own tables. The same question asked by many guests at
    once goes to the database once (SharedReads: each answer is still read after it was asked);
    each caller gets lists and sets of its own, of rooms and terms that cannot be changed."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self._shared = SharedReads()

    async def hotels(self) -> list[tuple[int, str]]:
        return [(hotel_id, name) for hotel_id, name, _ in await self.hotels_with_timezones()]

    async def hotels_with_timezones(self) -> list[tuple[int, str, str]]:
        return list(await self._shared.read(("hotels",), self._hotels_with_timezones))

    async def _hotels_with_timezones(self) -> list[tuple[int, str, str]]:
        async with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in await conn.execute(_HOTELS)]

    async def room(self, room_id: UUID) -> CatalogRoom | None:
        async with self.engine.connect() as conn:
            return await SqlCatalog(conn).get(room_id)

    async def hotel_timezone(self, hotel_id: int) -> str | None:
        async with self.engine.connect() as conn:
            found: str | None = await conn.scalar(_TIMEZONE, {"b_hotel": hotel_id})
            return found

    async def free_rooms(self, hotel_id: int, check_in: date, check_out: date, guests: int) -> list[CatalogRoom]:
        params = {"b_hotel": hotel_id, "b_guests": guests, "b_from": check_in, "b_to": check_out}
        async with self.engine.connect() as conn:
            return [_catalog_room(r) for r in await conn.execute(_FREE_ROOMS, params)]

    async def offer(
        self, hotel_id: int, check_in: date, check_out: date, guests: int
    ) -> tuple[list[CatalogRoom], HotelTerms | None]:
        """`free_rooms` and the hotel's `terms` in one round trip; the terms are None when no room
        is free (then `terms` reads them, if they are wanted at all)."""
        params = {"b_hotel": hotel_id, "b_guests": guests, "b_from": check_in, "b_to": check_out}

        async def read() -> tuple[list[CatalogRoom], HotelTerms | None]:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(_FREE_ROOMS_WITH_TERMS, params)).all()
            if not rows:
                return [], None
            stored, revision = rows[0].t_terms, rows[0].t_revision
            terms = _terms(json.loads(stored), revision) if stored is not None else HotelTerms()
            return [_catalog_room(row) for row in rows], terms

        rooms, terms = await self._shared.read(("offer", hotel_id, check_in, check_out, guests), read)
        return list(rooms), terms

    async def full_nights(self, hotel_id: int, start: date, end: date) -> set[date]:
        """Nights in [start, end) on which every room in service is held (one round trip)."""
        params = {"b_hotel": hotel_id, "b_from": start, "b_to": end}

        async def read() -> set[date]:
            async with self.engine.connect() as conn:
                return set((await conn.scalars(_FULL_NIGHTS, params)).all())

        return set(await self._shared.read(("full", hotel_id, start, end), read))

    async def hotel_rooms(self, hotel_id: int) -> list[CatalogRoom]:
        """Every room of the hotel in the catalog, in service or not (for calendars and grids)."""
        async with self.engine.connect() as conn:
            return [_catalog_room(r) for r in await conn.execute(_HOTEL_ROOMS, {"b_hotel": hotel_id})]

    async def terms(self, hotel_id: int) -> HotelTerms:
        """The reservation context's copy of the hotel's terms (what a quote is made of)."""

        async def read() -> HotelTerms:
            async with self.engine.connect() as conn:
                return await SqlCatalog(conn).terms(hotel_id)

        return await self._shared.read(("terms", hotel_id), read)

    async def held_nights(self, hotel_id: int, start: date, end: date) -> list[tuple[UUID, date, UUID, str]]:
        """(room, night, reservation, its status) of every night in [start, end) held in the hotel."""
        params = {"b_hotel": hotel_id, "b_from": start, "b_to": end}
        async with self.engine.connect() as conn:
            return [(r[0], r[1], r[2], str(r[3])) for r in await conn.execute(_HELD_IN_RANGE, params)]


class ReservationStateQueries:
    """Where a reservation stands now (for the notifier, which must not tell a stale state)."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    async def status(self, reservation_id: UUID) -> ReservationStatus | None:
        async with self.engine.connect() as conn:
            found = await conn.scalar(_STATUS, {"b_id": reservation_id})
        return ReservationStatus(found) if found is not None else None
