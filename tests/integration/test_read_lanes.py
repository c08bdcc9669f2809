"""The read side's lanes on PostgreSQL: a few connections kept between reads, so a guest's screen
does not pay for a pool checkout per read. Reads one after another share one; reads at the same
time never share one; a lane whose session the server ended is replaced and the next read
answered, as is the next read after one that failed; closing the process gives every connection
back."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from main.bootstrap import Container
from tests.conftest import make_settings
from tests.integration.helpers import seed_hotel

pytestmark = pytest.mark.integration

PID = text("SELECT pg_backend_pid()")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pid(container: Container, sql: str = "SELECT pg_backend_pid()") -> int:
    async with container.reader("reservation").connect() as conn:
        return int(await conn.scalar(text(sql)))


async def _sessions(url: str) -> set[int]:
    conn = await asyncpg.connect(_plain(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row["pid"] for row in rows}
    finally:
        await conn.close()


async def test_reads_in_turn_share_a_connection_and_reads_at_once_never_do(pg: str) -> None:
    container = Container(make_settings(database_url=pg, db_pool_size=20))
    try:
        hotel, _ = await seed_hotel(container)
        assert len({await _pid(container) for _ in range(10)}) == 1
        at_once = await asyncio.gather(
            *(_pid(container, "SELECT pg_backend_pid() FROM pg_sleep(0.1)") for _ in range(12))
        )
        assert len(set(at_once)) == 12  # two lanes busy, the other ten from the pool
        # the queries the guests' screens make answer as before, at once too
        answers = await asyncio.gather(*(container.availability.hotels() for _ in range(20)))
        assert all(found == [(hotel.id, hotel.name)] for found in answers)
    finally:
        await container.close()


async def test_a_lane_whose_session_was_ended_is_replaced_and_the_read_answered(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    try:
        hotel, _ = await seed_hotel(container, tz="Asia/Seoul")
        lane = await _pid(container)
        killer = await asyncpg.connect(_plain(pg))
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", lane)
        finally:
            await killer.close()
        await asyncio.sleep(0.1)
        assert await container.availability.hotel_timezone(hotel.id) == "Asia/Seoul"
        assert await container.availability.hotels() == [(hotel.id, hotel.name)]
        assert await _pid(container) != lane
        assert lane not in await _sessions(pg)
    finally:
        await container.close()


async def test_a_read_that_failed_goes_back_through_the_pool_and_the_next_reads_answer(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    try:
        hotel, _ = await seed_hotel(container)
        with pytest.raises(DBAPIError, match="division by zero"):
            await _pid(container, "SELECT 1 / 0")
        assert await container.availability.hotels() == [(hotel.id, hotel.name)]
        assert len({await _pid(container) for _ in range(5)}) == 1
    finally:
        await container.close()


async def test_closing_the_process_gives_every_connection_back(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    await asyncio.gather(*(_pid(container, "SELECT pg_backend_pid() FROM pg_sleep(0.05)") for _ in range(6)))
    assert await _sessions(pg)
    await container.close()
    for _ in range(50):
        if not await _sessions(pg):
            break
        await asyncio.sleep(0.05)
    assert await _sessions(pg) == set()
