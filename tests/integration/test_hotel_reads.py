"""The hotel context's hotels, read with their managers in one statement: by id, all, and those a
user manages (with every manager of each, not only that user). On PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from domain.hotel.model import Hotel
from infra.db.engines import make_engine
from infra.db.hotel import SqlHotels


async def test_hotels_come_with_all_their_managers_in_one_read(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    statements: list[str] = []
    try:
        async with engine.begin() as conn:
            repo = SqlHotels(conn)
            shared = await repo.add(Hotel(None, "Seaside Inn", "Busan", "Asia/Seoul", "KRW"))
            alone = await repo.add(Hotel(None, "Hill House", "Seoul", "Asia/Seoul", "KRW"))
            empty = await repo.add(Hotel(None, "New Place", "Jeju", "Asia/Seoul", "KRW"))
            assert shared.id is not None and alone.id is not None and empty.id is not None
            for hotel_id, user_id in ((shared.id, 2), (shared.id, 3), (alone.id, 2)):
                await repo.add_manager(hotel_id, user_id)

        def counted(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        seaside = Hotel(shared.id, "Seaside Inn", "Busan", "Asia/Seoul", "KRW", {2, 3})
        hill = Hotel(alone.id, "Hill House", "Seoul", "Asia/Seoul", "KRW", {2})
        new = Hotel(empty.id, "New Place", "Jeju", "Asia/Seoul", "KRW", set())
        async with engine.connect() as conn:
            repo = SqlHotels(conn)
            assert await repo.get(shared.id) == seaside
            assert len(statements) == 1
            assert await repo.get(empty.id) == new
            assert await repo.get(10_000) is None
            assert await repo.all() == [seaside, hill, new]
            # the hotels manager 3 manages, each with all its managers
            assert await repo.managed_by(3) == [seaside]
            assert await repo.managed_by(2) == [seaside, hill]
            assert await repo.managed_by(4) == []
        assert len(statements) == 7
    finally:
        await engine.dispose()
