"""The hotel context's repositories and unit of work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, String, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.hotel.model import ApprovalRequest, ApprovalStatus, Hotel, Room, StayStatus
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy, HotelTerms
from infra.db.tables import (
    hotel_approval_messages,
    hotel_approvals,
    hotel_defaults,
    hotel_managers,
    hotel_messaging,
    hotel_rooms,
    hotel_terms,
    hotel_withdrawals,
    hotels,
)
from infra.db.uow import SqlUnitOfWork, inserting_ignored, updating

# Statements are built once and executed with parameters: a reused statement keeps its memoized
# cache key, so SQLAlchemy skips building, coercing and cache-keying it on every call.
_ADD_HOTEL = hotels.insert().returning(hotels.c.id)
# Hotels are read with their managers in one statement: a row per hotel and manager (one with no
# manager for a hotel that has none), in the hotels' order.
_WITH_MANAGERS = (
    select(hotels, hotel_managers.c.user_id.label("m_user"))
    .outerjoin(hotel_managers, hotel_managers.c.hotel_id == hotels.c.id)
    .order_by(hotels.c.id)
)
_HOTEL = _WITH_MANAGERS.where(hotels.c.id == bindparam("b_id"))
_ALL_HOTELS = _WITH_MANAGERS
_MINE = hotel_managers.alias("mine")  # not the joined managers: every manager of a hotel is read
_MANAGED_BY = _WITH_MANAGERS.where(
    hotels.c.id.in_(select(_MINE.c.hotel_id).where(_MINE.c.user_id == bindparam("b_user_id")))
)
_REMOVE_MANAGER = delete(hotel_managers).where(
    hotel_managers.c.hotel_id == bindparam("b_hotel_id"), hotel_managers.c.user_id == bindparam("b_user_id")
)
_ADD_ROOM = hotel_rooms.insert()
_ROOM = select(hotel_rooms).where(hotel_rooms.c.id == bindparam("b_id"))
_ROOM_FOR_UPDATE = _ROOM.with_for_update()
_SAVE_ROOM = updating(hotel_rooms, "id")
_NUMBER_TAKEN = (
    select(func.count())
    .select_from(hotel_rooms)
    .where(
        hotel_rooms.c.hotel_id == bindparam("b_hotel_id"),
        func.lower(hotel_rooms.c.number) == bindparam("b_number", type_=String),
    )
)
_ROOMS_OF_HOTEL = (
    select(hotel_rooms).where(hotel_rooms.c.hotel_id == bindparam("b_hotel_id")).order_by(hotel_rooms.c.number)
)
_APPROVAL = select(hotel_approvals).where(hotel_approvals.c.reservation_id == bindparam("b_reservation_id"))
_APPROVAL_FOR_UPDATE = _APPROVAL.with_for_update()
_SAVE_APPROVAL = (
    update(hotel_approvals)
    .where(hotel_approvals.c.reservation_id == bindparam("b_reservation_id"))
    .values({c: bindparam(c.key) for c in hotel_approvals.c if c.key != "reservation_id"})
)
_COUNT_PENDING = (
    select(func.count()).select_from(hotel_approvals).where(hotel_approvals.c.status == ApprovalStatus.PENDING.value)
)
_WITHDRAWN_AT = select(hotel_withdrawals.c.withdrawn_at).where(
    hotel_withdrawals.c.reservation_id == bindparam("b_reservation_id")
)
_WITHDRAWALS_OF = select(hotel_withdrawals.c.reservation_id, hotel_withdrawals.c.withdrawn_at).where(
    hotel_withdrawals.c.reservation_id.in_(bindparam("b_ids", expanding=True))
)
_APPROVALS_OF = select(hotel_approvals.c.reservation_id).where(
    hotel_approvals.c.reservation_id.in_(bindparam("b_ids", expanding=True))
)
_PENDING = hotel_approvals.c.status == ApprovalStatus.PENDING.value
_DUE_FOR_REMINDER = select(hotel_approvals.c.reservation_id).where(
    _PENDING, hotel_approvals.c.reminded_at.is_(None), hotel_approvals.c.requested_at <= bindparam("b_before")
)
_CLAIM_REMINDER = (
    update(hotel_approvals)
    .where(
        hotel_approvals.c.reservation_id == bindparam("b_reservation_id"),
        _PENDING,
        hotel_approvals.c.reminded_at.is_(None),
    )
    .values(reminded_at=bindparam("b_at"))
)
_RELEASE_REMINDER = (
    update(hotel_approvals)
    .where(hotel_approvals.c.reservation_id == bindparam("b_reservation_id"))
    .values(reminded_at=None)
)
_PENDING_BEFORE = select(hotel_approvals.c.reservation_id).where(
    _PENDING, hotel_approvals.c.requested_at <= bindparam("b_before")
)
_EXPECTED_ARRIVING_BY = select(hotel_approvals.c.reservation_id).where(
    hotel_approvals.c.hotel_id == bindparam("b_hotel"),
    hotel_approvals.c.status == ApprovalStatus.APPROVED.value,
    hotel_approvals.c.stay == StayStatus.EXPECTED.value,
    hotel_approvals.c.check_in < bindparam("b_before"),
)
_SAVE_STAY = (
    update(hotel_approvals)
    .where(
        hotel_approvals.c.reservation_id == bindparam("b_reservation_id"), hotel_approvals.c.stay == bindparam("b_was")
    )
    .values(stay=bindparam("b_stay"), stay_changed_on=bindparam("b_on"))
)
_TERMS = select(hotel_terms.c.terms, hotel_terms.c.revision).where(hotel_terms.c.hotel_id == bindparam("b_hotel"))
_SAVE_TERMS = (
    update(hotel_terms)
    .where(hotel_terms.c.hotel_id == bindparam("b_hotel"), hotel_terms.c.revision == bindparam("b_expected"))
    .values(revision=bindparam("revision"), terms=bindparam("terms", type_=hotel_terms.c.terms.type))
)
_DEFAULT = select(hotel_defaults.c.value).where(hotel_defaults.c.name == bindparam("b_name"))
_APPROVAL_MESSAGES = select(hotel_approval_messages.c.chat_id, hotel_approval_messages.c.message_id).where(
    hotel_approval_messages.c.reservation_id == bindparam("b_reservation_id")
)


class SqlHotels:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, hotel: Hotel) -> Hotel:
        result = await self.conn.execute(
            _ADD_HOTEL, {"name": hotel.name, "city": hotel.city, "timezone": hotel.timezone, "currency": hotel.currency}
        )
        hotel.id = result.scalar_one()
        return hotel

    async def _load(self, query: Select[Any], params: dict[str, Any] | None = None) -> list[Hotel]:
        found: dict[int, Hotel] = {}
        for r in await self.conn.execute(query, params):
            hotel = found.get(r.id)
            if hotel is None:
                hotel = found[r.id] = Hotel(r.id, r.name, r.city, r.timezone, r.currency)
            if r.m_user is not None:
                hotel.managers.add(r.m_user)
        return list(found.values())

    async def get(self, hotel_id: int) -> Hotel | None:
        found = await self._load(_HOTEL, {"b_id": hotel_id})
        return found[0] if found else None

    async def all(self) -> list[Hotel]:
        return await self._load(_ALL_HOTELS)

    async def managed_by(self, user_id: int) -> list[Hotel]:
        return await self._load(_MANAGED_BY, {"b_user_id": user_id})

    async def add_manager(self, hotel_id: int, user_id: int) -> None:
        await self.conn.execute(
            inserting_ignored(self.conn.dialect.name, hotel_managers), {"hotel_id": hotel_id, "user_id": user_id}
        )

    async def remove_manager(self, hotel_id: int, user_id: int) -> bool:
        result = await self.conn.execute(_REMOVE_MANAGER, {"b_hotel_id": hotel_id, "b_user_id": user_id})
        return result.rowcount > 0


def _room(row) -> Room:  # type: ignore[no-untyped-def]
    return Room(
        row.id, row.hotel_id, row.number, row.room_type, row.capacity, row.price_per_night, row.in_service, row.revision
    )


class SqlRooms:
    def __init__(self, conn: AsyncConnection, seen: list[Any] | None = None) -> None:
        self.conn = conn
        self.seen = [] if seen is None else seen  # the unit of work collects their events

    def _values(self, room: Room) -> dict[str, object]:
        return {
            "id": room.id,
            "hotel_id": room.hotel_id,
            "number": room.number,
            "room_type": room.room_type,
            "capacity": room.capacity,
            "price_per_night": room.price_per_night,
            "in_service": room.in_service,
            "revision": room.revision,
        }

    async def add(self, room: Room) -> None:
        await self.conn.execute(_ADD_ROOM, self._values(room))
        self.seen.append(room)

    async def get(self, room_id: UUID) -> Room | None:
        row = (await self.conn.execute(_ROOM_FOR_UPDATE, {"b_id": room_id})).first()
        if row is None:
            return None
        room = _room(row)
        self.seen.append(room)
        return room

    async def save(self, room: Room) -> None:
        await self.conn.execute(_SAVE_ROOM, {**self._values(room), "b_id": room.id})

    async def number_taken(self, hotel_id: int, number: str) -> bool:
        count = await self.conn.scalar(_NUMBER_TAKEN, {"b_hotel_id": hotel_id, "b_number": number.lower()})
        return bool(count)

    async def of_hotel(self, hotel_id: int) -> list[Room]:
        rows = await self.conn.execute(_ROOMS_OF_HOTEL, {"b_hotel_id": hotel_id})
        return [_room(r) for r in rows]


_APPROVAL_FIELDS = [c.name for c in hotel_approvals.columns]


class SqlApprovals:
    """In a batch (`prepare`), what the requests of the batch's reservations need is read at
    once, and the requests it opens are written together: before anything else reads or
    writes requests, and at the latest at commit."""

    def __init__(self, conn: AsyncConnection, seen: list[Any] | None = None) -> None:
        self.conn = conn
        self.seen = [] if seen is None else seen  # the unit of work collects their events
        # The batch's reservations, each with when its cancellation came first (None: it did not).
        self._batch: dict[UUID, datetime | None] = {}
        self._recorded: set[UUID] = set()  # the batch's reservations whose request is recorded (or to be)
        self._unwritten: list[dict[str, object]] = []  # requests opened in the batch, not written yet

    async def prepare(self, reservation_ids: set[UUID]) -> None:
        """Read the batch's withdrawals and which of its requests exist, in two statements."""
        params = {"b_ids": list(reservation_ids)}
        self._batch = dict.fromkeys(reservation_ids)
        for row in await self.conn.execute(_WITHDRAWALS_OF, params):
            self._batch[row.reservation_id] = row.withdrawn_at
        self._recorded = set((await self.conn.scalars(_APPROVALS_OF, params)).all())

    async def write(self) -> None:
        """The requests opened so far, in one statement."""
        if self._unwritten:
            rows, self._unwritten = self._unwritten, []
            await self.conn.execute(inserting_ignored(self.conn.dialect.name, hotel_approvals), rows)

    def _values(self, request: ApprovalRequest) -> dict[str, object]:
        values = {name: getattr(request, name) for name in _APPROVAL_FIELDS}
        values["status"] = request.status.value
        values["stay"] = request.stay.value
        return values

    async def add(self, request: ApprovalRequest) -> bool:
        if request.reservation_id in self._batch:  # in the batch: written with the others
            # Known new without the insert's answer: the consumer holds its reservation's lock
            # (uow.lock_all), and only this method inserts requests, always under that lock.
            if request.reservation_id in self._recorded:
                return False
            self._recorded.add(request.reservation_id)
            self._unwritten.append(self._values(request))
            self.seen.append(request)
            return True
        await self.write()
        result = await self.conn.execute(
            inserting_ignored(self.conn.dialect.name, hotel_approvals), self._values(request)
        )
        if result.rowcount != 1:
            return False
        self.seen.append(request)
        return True

    async def get(self, reservation_id: UUID, *, for_update: bool = False) -> ApprovalRequest | None:
        await self.write()
        query = _APPROVAL_FOR_UPDATE if for_update else _APPROVAL
        row = (await self.conn.execute(query, {"b_reservation_id": reservation_id})).first()
        if row is None:
            return None
        values = row._asdict()
        values["status"] = ApprovalStatus(values["status"])
        values["stay"] = StayStatus(values["stay"])
        request = ApprovalRequest(**values)
        self.seen.append(request)
        return request

    async def save(self, request: ApprovalRequest) -> None:
        await self.write()
        values = self._values(request)
        del values["reservation_id"]
        values["b_reservation_id"] = request.reservation_id
        await self.conn.execute(_SAVE_APPROVAL, values)

    async def count_pending(self) -> int:
        await self.write()
        return int(await self.conn.scalar(_COUNT_PENDING) or 0)

    async def remember_withdrawal(self, reservation_id: UUID, at: datetime) -> None:
        await self.conn.execute(
            inserting_ignored(self.conn.dialect.name, hotel_withdrawals),
            {"reservation_id": reservation_id, "withdrawn_at": at},
        )
        if reservation_id in self._batch and self._batch[reservation_id] is None:
            self._batch[reservation_id] = at  # the first one stays, as in the table

    async def withdrawn_at(self, reservation_id: UUID) -> datetime | None:
        if reservation_id in self._batch:
            return self._batch[reservation_id]
        return await self.conn.scalar(_WITHDRAWN_AT, {"b_reservation_id": reservation_id})

    async def due_for_reminder(self, requested_before: datetime) -> list[UUID]:
        await self.write()
        return list((await self.conn.scalars(_DUE_FOR_REMINDER, {"b_before": requested_before})).all())

    async def claim_reminder(self, reservation_id: UUID, at: datetime) -> bool:
        await self.write()
        # one conditional UPDATE: whichever replica changes the row is the one that reminds
        result = await self.conn.execute(_CLAIM_REMINDER, {"b_reservation_id": reservation_id, "b_at": at})
        return result.rowcount == 1

    async def release_reminder(self, reservation_id: UUID) -> None:
        await self.write()
        await self.conn.execute(_RELEASE_REMINDER, {"b_reservation_id": reservation_id})

    async def pending_before(self, requested_before: datetime) -> list[UUID]:
        await self.write()
        return list((await self.conn.scalars(_PENDING_BEFORE, {"b_before": requested_before})).all())

    async def save_stay(self, request: ApprovalRequest, previous: StayStatus) -> bool:
        await self.write()
        params = {
            "b_reservation_id": request.reservation_id,
            "b_was": previous.value,
            "b_stay": request.stay.value,
            "b_on": request.stay_changed_on,
        }
        return (await self.conn.execute(_SAVE_STAY, params)).rowcount == 1

    async def expected_arriving_by(self, hotel_id: int, check_in_before: date) -> list[UUID]:
        await self.write()
        params = {"b_hotel": hotel_id, "b_before": check_in_before}
        return list((await self.conn.scalars(_EXPECTED_ARRIVING_BY, params)).all())

    # Where each manager was shown the request, so a decision edits every copy in place.
    async def record_message(self, reservation_id: UUID, chat_id: int, message_id: int) -> None:
        await self.conn.execute(
            inserting_ignored(self.conn.dialect.name, hotel_approval_messages),
            {"reservation_id": reservation_id, "chat_id": chat_id, "message_id": message_id},
        )

    async def messages(self, reservation_id: UUID) -> list[tuple[int, int]]:
        rows = await self.conn.execute(_APPROVAL_MESSAGES, {"b_reservation_id": reservation_id})
        return [(r.chat_id, r.message_id) for r in rows]


class SqlTerms:
    """A hotel's terms as one document, replaced whole; the revision guards against lost updates."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, hotel_id: int) -> HotelTerms | None:
        row = (await self.conn.execute(_TERMS, {"b_hotel": hotel_id})).first()
        if row is None:
            return None
        return HotelTerms.from_dict(row.terms).with_changes(revision=row.revision)

    async def save(self, hotel_id: int, terms: HotelTerms, expected_revision: int) -> bool:
        document = terms.to_dict()
        if expected_revision == 0:
            inserted = await self.conn.execute(
                inserting_ignored(self.conn.dialect.name, hotel_terms),
                {"hotel_id": hotel_id, "revision": terms.revision, "terms": document},
            )
            return inserted.rowcount == 1
        params = {"b_hotel": hotel_id, "b_expected": expected_revision, "revision": terms.revision, "terms": document}
        return (await self.conn.execute(_SAVE_TERMS, params)).rowcount == 1

    async def default_policy(self) -> CancellationPolicy | None:
        found = await self.conn.scalar(_DEFAULT, {"b_name": "policy"})
        return CancellationPolicy.from_dict(found) if found else None

    async def set_default_policy(self, policy: CancellationPolicy) -> None:
        await self.conn.execute(delete(hotel_defaults).where(hotel_defaults.c.name == "policy"))
        await self.conn.execute(hotel_defaults.insert(), {"name": "policy", "value": policy.to_dict()})


class HotelUoW(SqlUnitOfWork):
    hotels: SqlHotels
    rooms: SqlRooms
    approvals: SqlApprovals
    terms: SqlTerms

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, hotel_messaging, after_commit)

    def _bind(self, conn: AsyncConnection) -> None:
        seen = self.seen_aggregates
        self.hotels, self.rooms, self.approvals = SqlHotels(conn), SqlRooms(conn, seen), SqlApprovals(conn, seen)
        self.terms = SqlTerms(conn)

    async def prepare(self, events: list[Event]) -> None:
        """A batch of the reservations' events (placed, cancelled): the requests they open read
        in two statements and written in one, instead of two statements each."""
        ids = {reservation_id for event in events if (reservation_id := getattr(event, "reservation_id", None))}
        if len(ids) > 1:  # one reservation: as if handled alone
            await self.approvals.prepare(ids)

    async def commit(self) -> None:
        await self.approvals.write()
        await super().commit()


class HotelQueries:
    """Read-only answers from the hotel context, for the bot and the notifier."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine

    async def hotel(self, hotel_id: int) -> Hotel | None:
        async with self.engine.connect() as conn:
            return await SqlHotels(conn).get(hotel_id)

    async def hotels(self) -> list[Hotel]:
        async with self.engine.connect() as conn:
            return await SqlHotels(conn).all()

    async def managed_by(self, user_id: int) -> list[Hotel]:
        async with self.engine.connect() as conn:
            return await SqlHotels(conn).managed_by(user_id)

    async def rooms(self, hotel_id: int) -> list[Room]:
        async with self.engine.connect() as conn:
            return await SqlRooms(conn).of_hotel(hotel_id)

    async def room(self, room_id: UUID) -> Room | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_ROOM, {"b_id": room_id})).first()
            return _room(row) if row else None

    async def approval(self, reservation_id: UUID) -> ApprovalRequest | None:
        async with self.engine.connect() as conn:
            return await SqlApprovals(conn).get(reservation_id)

    async def approval_messages(self, reservation_id: UUID) -> list[tuple[int, int]]:
        async with self.engine.connect() as conn:
            return await SqlApprovals(conn).messages(reservation_id)

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return await SqlApprovals(conn).count_pending()

    async def terms(self, hotel_id: int) -> HotelTerms:
        async with self.engine.connect() as conn:
            return await SqlTerms(conn).get(hotel_id) or HotelTerms()

    async def default_policy(self) -> CancellationPolicy | None:
        async with self.engine.connect() as conn:
            return await SqlTerms(conn).default_policy()
