"""The reservation context's catalog, read as a request is quoted: the room and its hotel's terms
in one statement, the same as reading each on its own; and as a guest is offered rooms: the free
rooms and the terms in one statement. On PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import event

from domain.reservation.model import CatalogRoom
from domain.shared.terms import CancellationPolicy, HotelTerms
from infra.db.engines import make_engine
from infra.db.reservation import AvailabilityQueries, SqlCatalog
from infra.db.tables import held_nights


def _room(hotel_id: int, number: str) -> CatalogRoom:
    return CatalogRoom(
        room_id=uuid.uuid4(),
        hotel_id=hotel_id,
        hotel_name=f"Hotel {hotel_id}",
        timezone="Asia/Seoul",
        currency="KRW",
        number=number,
        room_type="double",
        capacity=2,
        price_per_night=120_000,
        in_service=True,
        revision=4,
    )


async def test_a_room_and_its_hotels_terms_come_in_one_read_as_each_would_alone(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    statements: list[str] = []
    try:
        plain, ruled = _room(1, "101"), _room(2, "201")
        terms = HotelTerms(min_nights=2, policy=CancellationPolicy(free_days=5)).with_changes(revision=3)
        async with engine.begin() as conn:
            catalog = SqlCatalog(conn)
            await catalog.upsert(plain)
            await catalog.upsert(ruled)
            await catalog.upsert_terms(2, terms)

        def counted(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        async with engine.connect() as conn:
            catalog = SqlCatalog(conn)
            assert await catalog.room_with_terms(ruled.room_id) == (ruled, terms)
            assert len(statements) == 1
            # a hotel that never set terms is quoted on the defaults, as `terms` gives them
            assert await catalog.room_with_terms(plain.room_id) == (plain, HotelTerms())
            assert await catalog.room_with_terms(uuid.uuid4()) is None

            assert await catalog.get(ruled.room_id) == ruled
            assert await catalog.terms(2) == terms
            assert await catalog.terms(1) == HotelTerms()
    finally:
        await engine.dispose()


async def test_the_free_rooms_and_their_terms_come_in_one_read_as_each_would_alone(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    statements: list[str] = []
    try:
        small, large, booked, plain = _room(2, "201"), _room(2, "202"), _room(2, "203"), _room(1, "101")
        large = dataclasses.replace(large, capacity=4, price_per_night=200_000)
        terms = HotelTerms(min_nights=2, policy=CancellationPolicy(free_days=5)).with_changes(revision=7)
        stay = (date(2031, 3, 1), date(2031, 3, 4))
        async with engine.begin() as conn:
            catalog = SqlCatalog(conn)
            for room in (small, large, booked, plain):
                await catalog.upsert(room)
            await catalog.upsert_terms(2, terms)
            # the stay's middle night of 203 is held
            await conn.execute(
                held_nights.insert(),
                {"room_id": booked.room_id, "night": date(2031, 3, 2), "reservation_id": uuid.uuid4()},
            )

        def counted(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        availability = AvailabilityQueries(engine)
        offered = await availability.offer(2, *stay, 1)
        assert len(statements) == 1
        assert offered == ([small, large], terms)  # cheapest first, the held room left out
        assert offered == (await availability.free_rooms(2, *stay, 1), await availability.terms(2))
        assert await availability.offer(2, *stay, 3) == ([large], terms)
        # a hotel that never set terms is offered on the defaults; with no room free, no terms
        assert await availability.offer(1, *stay, 2) == ([plain], HotelTerms())
        assert await availability.offer(1, *stay, 5) == ([], None)
    finally:
        await engine.dispose()


class _HeldBack:
    """The engine, except that the answer of the read after `hold_next()` is held back (after
    PostgreSQL or SQLite has given it) until the test lets it go: a read still on its way when
    others ask."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.reads = engine, 0
        self.hold_next()

    def hold_next(self) -> None:
        self.answered, self.go, self._held = asyncio.Event(), asyncio.Event(), self.reads + 1

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        self.reads += 1
        held = self.reads == self._held
        async with self.engine.connect() as conn:
            yield conn
        if held:
            self.answered.set()
            await self.go.wait()


async def _hold(engine: Any, room: CatalogRoom, night: date) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            held_nights.insert(), {"room_id": room.room_id, "night": night, "reservation_id": uuid.uuid4()}
        )


async def test_guests_asking_at_once_share_a_read_and_none_is_shown_a_room_taken_before_they_asked(
    db_url: str,
) -> None:
    engine = make_engine(db_url, pool_size=4)
    try:
        first, second = _room(3, "301"), _room(3, "302")
        stay = (date(2031, 5, 1), date(2031, 5, 3))
        async with engine.begin() as conn:
            for room in (first, second):
                await SqlCatalog(conn).upsert(room)
        reads = _HeldBack(engine)
        availability = AvailabilityQueries(reads)
        # a guest's look at the rooms is read, and its answer is still on its way...
        looking = asyncio.create_task(availability.offer(3, *stay, 1))
        await reads.answered.wait()
        # ...when another guest books 301 for a night of the stay (committed)
        await _hold(engine, first, stay[0])
        # forty guests who lost 301 then ask for the free rooms: none may be offered 301
        losers = [asyncio.create_task(availability.offer(3, *stay, 1)) for _ in range(40)]
        await asyncio.sleep(0.05)
        reads.go.set()
        assert (await looking)[0] == [first, second]  # read before the booking: it was free then
        offers = await asyncio.gather(*losers)
        assert all(rooms == [second] for rooms, _ in offers)
        assert reads.reads == 2  # one for the first look, one for the forty who asked meanwhile
        offers[0][0].clear()  # each guest's list is their own
        assert offers[1][0] == [second]

        # the same for the calendar: a month read on its way, then 302 is booked too, which
        # fills the stay's first night; the forty who ask next see it full
        reads.hold_next()
        month = asyncio.create_task(availability.full_nights(3, *stay))
        await reads.answered.wait()
        await _hold(engine, second, stay[0])
        calendars = [asyncio.create_task(availability.full_nights(3, *stay)) for _ in range(40)]
        await asyncio.sleep(0.05)
        reads.go.set()
        assert await month == set()
        assert all(nights == {stay[0]} for nights in await asyncio.gather(*calendars))
        assert reads.reads == 4
    finally:
        await engine.dispose()
