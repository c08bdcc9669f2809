"""The view context: it stores what the projections compute and answers the read queries."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, Integer, Row, Select, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.hotel.events import RoomEvent
from domain.shared.events import Event
from domain.shared.terms import CancellationPolicy, QuoteLine
from domain.view.model import REFUNDING, ReservationView, RoomView, project_reservation, project_room
from infra.db.tables import reservation_view, room_view, view_messaging
from infra.db.uow import SqlUnitOfWork, inserting_ignored, updating

_RES_FIELDS = [c.name for c in reservation_view.columns]
_ROOM_FIELDS = [c.name for c in room_view.columns]

# Statements are built once and executed with parameters: a reused statement keeps its memoized
# cache key, so SQLAlchemy skips building, coercing and cache-keying it on every call.
_RESERVATION = select(reservation_view).where(reservation_view.c.reservation_id == bindparam("b_reservation_id"))
_RESERVATION_FOR_UPDATE = _RESERVATION.with_for_update()
_SAVE_RESERVATION = updating(reservation_view, "reservation_id")
# a batch's reservations, locked in one order (two batches never deadlock), read in one statement
_RESERVATIONS_FOR_UPDATE = (
    select(reservation_view)
    .where(reservation_view.c.reservation_id.in_(bindparam("b_ids", expanding=True)))
    .order_by(reservation_view.c.reservation_id)
    .with_for_update()
)
_ROOM_FOR_UPDATE = select(room_view).where(room_view.c.room_id == bindparam("b_room_id")).with_for_update()
_SAVE_ROOM = updating(room_view, "room_id", room_view.c.revision < bindparam("b_revision"))
_GUEST_RESERVATIONS = (
    select(reservation_view)
    .where(reservation_view.c.guest_id == bindparam("b_guest_id"), reservation_view.c.room_id.is_not(None))
    .order_by(reservation_view.c.check_in.desc())
    .limit(bindparam("b_limit", type_=Integer))
)
_BOARD_ROOMS = select(room_view).where(room_view.c.hotel_id == bindparam("b_hotel_id")).order_by(room_view.c.number)
_BOARD_RESERVATIONS = (
    select(reservation_view)
    .where(reservation_view.c.hotel_id == bindparam("b_hotel_id"), reservation_view.c.room_id.is_not(None))
    .order_by(reservation_view.c.check_in)
)
_REFUNDS_PENDING = select(func.count()).where(
    reservation_view.c.status.in_(REFUNDING),
    reservation_view.c.payment_status == "approved",
    # a policy that keeps everything (non-refundable) leaves nothing to give back
    or_(reservation_view.c.refund_amount.is_(None), reservation_view.c.refund_amount > 0),
)
_COUNTS_BY_STATUS = (
    select(reservation_view.c.status, func.count())
    .where(reservation_view.c.room_id.is_not(None))
    .group_by(reservation_view.c.status)
)
_ROWS = select(reservation_view).where(reservation_view.c.reservation_id.in_(bindparam("ids", expanding=True)))


def _reservation_row(row: Row[Any]) -> ReservationView:
    """A stored row as the read model: its documents (price lines, policy) as the domain's values."""
    values = row._asdict()
    values["price_lines"] = tuple(QuoteLine.from_dict(line) for line in values["price_lines"] or ())
    values["policy"] = CancellationPolicy.from_dict(values["policy"]) if values["policy"] is not None else None
    return ReservationView(**values)


def _reservation_values(view: ReservationView) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(view, name) for name in _RES_FIELDS}
    values["price_lines"] = [line.to_dict() for line in view.price_lines]
    values["policy"] = view.policy.to_dict() if view.policy is not None else None
    return values


@cache
def _saving_reservations(dialect: str) -> Insert:
    """Rows of a batch, new or not, in one statement: INSERT … ON CONFLICT DO UPDATE."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(reservation_view)
    return insert.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["reservation_id"],
        set_={name: insert.excluded[name] for name in _RES_FIELDS if name != "reservation_id"},
    )


class ViewUoW(SqlUnitOfWork):
    """In a batch (`prepare`), the reservations its events are about are read and locked in one
    statement, projected in memory event after event, and written in one statement at commit."""

    def __init__(self, engine, after_commit=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, view_messaging, after_commit)
        self._batch: dict[Any, ReservationView | None] = {}
        self._changed: set[Any] = set()

    def _bind(self, conn: AsyncConnection) -> None:
        self._batch, self._changed = {}, set()

    async def prepare(self, events: list[Event]) -> None:
        ids = {
            reservation_id
            for event in events
            if not isinstance(event, RoomEvent) and (reservation_id := getattr(event, "reservation_id", None))
        }
        if len(ids) < 2:
            return  # one reservation: as if handled alone
        rows = await self.conn.execute(_RESERVATIONS_FOR_UPDATE, {"b_ids": list(ids)})
        self._batch = dict.fromkeys(ids)
        self._batch.update({row.reservation_id: _reservation_row(row) for row in rows})

    async def commit(self) -> None:
        if self._changed:
            rows = [self._batch[reservation_id] for reservation_id in self._changed]
            await self.conn.execute(
                _saving_reservations(self.conn.dialect.name),
                [_reservation_values(row) for row in rows if row is not None],
            )
        self._batch, self._changed = {}, set()
        await super().commit()

    async def rollback(self) -> None:
        self._batch, self._changed = {}, set()
        await super().rollback()

    async def project(self, event: Event) -> None:
        if isinstance(event, RoomEvent):
            await self._project_room(event)
        else:
            await self._project_reservation(event)

    async def _project_reservation(self, event: Event) -> None:
        reservation_id = getattr(event, "reservation_id", None)
        if reservation_id is None:
            return
        if reservation_id in self._batch:
            known = self._batch[reservation_id]
            projected = project_reservation(event, known)
            if projected is not None and projected != known:
                self._batch[reservation_id] = projected
                self._changed.add(reservation_id)
            return
        row = (await self.conn.execute(_RESERVATION_FOR_UPDATE, {"b_reservation_id": reservation_id})).first()
        current = _reservation_row(row) if row else None
        new = project_reservation(event, current)
        if new is None or new == current:
            return
        values = _reservation_values(new)
        if current is None:
            inserted = await self.conn.execute(inserting_ignored(self.conn.dialect.name, reservation_view), values)
            if inserted.rowcount == 1:
                return
            # Another consumer inserted the row between our read and write: project on top of it.
            await self._project_reservation(event)
            return
        values["b_reservation_id"] = reservation_id
        await self.conn.execute(_SAVE_RESERVATION, values)

    async def _project_room(self, event: RoomEvent) -> None:
        row = (await self.conn.execute(_ROOM_FOR_UPDATE, {"b_room_id": event.room_id})).first()
        new = project_room(event, RoomView(**row._asdict()) if row else None)
        if new is None:
            return
        values: dict[str, Any] = {name: getattr(new, name) for name in _ROOM_FIELDS}
        if row is None:
            inserted = await self.conn.execute(inserting_ignored(self.conn.dialect.name, room_view), values)
            if inserted.rowcount == 0:
                await self._project_room(event)
            return
        values["b_room_id"], values["b_revision"] = event.room_id, event.revision
        await self.conn.execute(_SAVE_ROOM, values)


class ViewQueries:
    """The CQRS read side: a guest's reservations, a hotel's board, counts for the admin."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _rows(
        self, conn: AsyncConnection, query: Select[Any], params: dict[str, Any] | None = None
    ) -> list[ReservationView]:
        return [_reservation_row(r) for r in await conn.execute(query, params)]

    async def guest_reservations(self, guest_id: int, limit: int = 20) -> list[ReservationView]:
        async with self.engine.connect() as conn:
            return await self._rows(conn, _GUEST_RESERVATIONS, {"b_guest_id": guest_id, "b_limit": limit})

    async def reservation(self, reservation_id: UUID) -> ReservationView | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_RESERVATION, {"b_reservation_id": reservation_id})).first()
            return _reservation_row(row) if row else None

    async def board(self, hotel_id: int) -> tuple[list[RoomView], list[ReservationView]]:
        async with self.engine.connect() as conn:
            rooms = [RoomView(**r._asdict()) for r in await conn.execute(_BOARD_ROOMS, {"b_hotel_id": hotel_id})]
            reservations = await self._rows(conn, _BOARD_RESERVATIONS, {"b_hotel_id": hotel_id})
            return rooms, reservations

    async def counts_by_status(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(_COUNTS_BY_STATUS)
            return {status: count for status, count in rows}

    async def refunds_pending(self) -> int:
        """Reservations that ended with money to give back (rejected, cancelled, a no-show whose
        policy keeps less than all of it) and whose payment is not refunded yet."""
        async with self.engine.connect() as conn:
            return int(await conn.scalar(_REFUNDS_PENDING) or 0)

    async def rows(self, ids: Sequence[UUID]) -> list[ReservationView]:
        async with self.engine.connect() as conn:
            return await self._rows(conn, _ROWS, {"ids": list(ids)})
