"""The reservation context's repositories, unit of work, and the guest-facing availability reads."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.reservation.model import CatalogRoom, Reservation, ReservationStatus
from domain.shared.errors import RoomTaken
from infra.db.tables import catalog_rooms, held_nights, reservation_messaging, reservations
from infra.db.uow import SqlUnitOfWork, insert_ignore

_ROOM_FIELDS = [c.name for c in catalog_rooms.columns]
_RESERVATION_FIELDS = [c.name for c in reservations.columns]


def _catalog_room(row) -> CatalogRoom:  # type: ignore[no-untyped-def]
    return CatalogRoom(**row._asdict())


class SqlCatalog:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, room_id: UUID) -> CatalogRoom | None:
        row = (await self.conn.execute(select(catalog_rooms).where(catalog_rooms.c.room_id == room_id))).first()
        return _catalog_room(row) if row else None

    async def upsert(self, room: CatalogRoom) -> bool:
        values = {name: getattr(room, name) for name in _ROOM_FIELDS}
        inserted = await self.conn.execute(insert_ignore(self.conn, catalog_rooms).values(**values))
        if inserted.rowcount == 1:
            return True
        updated = await self.conn.execute(
            update(catalog_rooms)
            .where(catalog_rooms.c.room_id == room.room_id, catalog_rooms.c.revision < room.revision)
            .values(**values)
        )
        return updated.rowcount == 1


def _reservation(row) -> Reservation:  # type: ignore[no-untyped-def]
    values = row._asdict()
    values["status"] = ReservationStatus(values["status"])
    return Reservation(**values)


class SqlReservations:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _values(self, reservation: Reservation) -> dict[str, object]:
        values = {name: getattr(reservation, name) for name in _RESERVATION_FIELDS}
        values["status"] = reservation.status.value
        return values

    async def add(self, reservation: Reservation) -> None:
        try:
            await self.conn.execute(reservations.insert().values(**self._values(reservation)))
        except IntegrityError:
            raise RoomTaken() from None  # the same request id twice: the first one holds the room

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> Reservation | None:
        query = select(reservations).where(reservations.c.id == reservation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _reservation(row) if row else None

    async def save(self, reservation: Reservation) -> None:
        values = self._values(reservation)
        del values["id"]
        await self.conn.execute(update(reservations).where(reservations.c.id == reservation.id).values(**values))

    async def delete(self, reservation_id: UUID) -> None:
        await self.conn.execute(delete(reservations).where(reservations.c.id == reservation_id))

    async def pending_payment_before(self, cutoff: datetime) -> list[Reservation]:
        rows = await self.conn.execute(
            select(reservations).where(
                reservations.c.status == ReservationStatus.PENDING_PAYMENT.value,
                reservations.c.created_at <= cutoff,
            )
        )
        return [_reservation(r) for r in rows]


class SqlHeldNights:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def hold(self, reservation: Reservation) -> None:
        # One multi-row INSERT, nights in ascending order: two overlapping requests meet on the
        # first common night, so they queue behind each other instead of deadlocking.
        try:
            await self.conn.execute(
                held_nights.insert(),
                [
                    {"room_id": reservation.room_id, "night": n, "reservation_id": reservation.id}
                    for n in reservation.nights
                ],
            )
        except IntegrityError:
            raise RoomTaken() from None

    async def release(self, reservation_id: UUID) -> None:
        await self.conn.execute(delete(held_nights).where(held_nights.c.reservation_id == reservation_id))


class ReservationUoW(SqlUnitOfWork):
    catalog: SqlCatalog
    reservations: SqlReservations
    nights: SqlHeldNights

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, reservation_messaging, after_commit)

    def _bind(self, conn: AsyncConnection) -> None:
        self.catalog, self.reservations, self.nights = SqlCatalog(conn), SqlReservations(conn), SqlHeldNights(conn)


class AvailabilityQueries:
    """What the guest sees while booking: hotels that take bookings, free rooms, full nights.
    Reads only the reservation context's own tables."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    async def hotels(self) -> list[tuple[int, str]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(catalog_rooms.c.hotel_id, func.min(catalog_rooms.c.hotel_name))
                .where(catalog_rooms.c.in_service.is_(True))
                .group_by(catalog_rooms.c.hotel_id)
                .order_by(catalog_rooms.c.hotel_id)
            )
            return [(r[0], r[1]) for r in rows]

    async def room(self, room_id: UUID) -> CatalogRoom | None:
        async with self.engine.connect() as conn:
            return await SqlCatalog(conn).get(room_id)

    async def hotel_timezone(self, hotel_id: int) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(
                select(catalog_rooms.c.timezone).where(catalog_rooms.c.hotel_id == hotel_id).limit(1)
            )

    async def free_rooms(self, hotel_id: int, check_in: date, check_out: date, guests: int) -> list[CatalogRoom]:
        taken = exists().where(
            held_nights.c.room_id == catalog_rooms.c.room_id,
            held_nights.c.night >= check_in,
            held_nights.c.night < check_out,
        )
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(catalog_rooms)
                .where(
                    catalog_rooms.c.hotel_id == hotel_id,
                    catalog_rooms.c.in_service.is_(True),
                    catalog_rooms.c.capacity >= guests,
                    ~taken,
                )
                .order_by(catalog_rooms.c.price_per_night, catalog_rooms.c.number)
            )
            return [_catalog_room(r) for r in rows]

    async def full_nights(self, hotel_id: int, start: date, end: date) -> set[date]:
        """Nights in [start, end) on which every room in service is held (one round trip)."""
        in_service = (
            select(func.count())
            .select_from(catalog_rooms)
            .where(catalog_rooms.c.hotel_id == hotel_id, catalog_rooms.c.in_service.is_(True))
            .scalar_subquery()
        )
        query = (
            select(held_nights.c.night)
            .join(catalog_rooms, catalog_rooms.c.room_id == held_nights.c.room_id)
            .where(
                catalog_rooms.c.hotel_id == hotel_id,
                catalog_rooms.c.in_service.is_(True),
                held_nights.c.night >= start,
                held_nights.c.night < end,
            )
            .group_by(held_nights.c.night)
            .having(func.count() >= in_service)
        )
        async with self.engine.connect() as conn:
            return set((await conn.scalars(query)).all())
