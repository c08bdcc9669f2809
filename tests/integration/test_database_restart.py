"""A guest who asks while the database restarts gets an answer: a read whose connection is cut in
the middle of its query is asked again on a fresh connection, and a pooled connection left busy
by an interrupted operation is thrown away instead of failing one guest after another.

The shared PostgreSQL is never restarted: the test's own database's backends are ended with
`pg_terminate_backend`, which is what a restart does to every session."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from main.bootstrap import Container
from tests.conftest import make_settings
from tests.integration.helpers import seed_hotel

pytestmark = pytest.mark.integration


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextlib.asynccontextmanager
async def _catalog_locked(url: str) -> AsyncIterator[asyncpg.Connection]:
    """The reservation catalog locked by another session, so a read of it waits mid-query."""
    locker = await asyncpg.connect(_plain(url))
    try:
        tx = locker.transaction()
        await tx.start()
        await locker.execute("LOCK TABLE reservation_rooms IN ACCESS EXCLUSIVE MODE")
        try:
            yield locker
        finally:
            await tx.rollback()
    finally:
        await locker.close()


async def _end_sessions_waiting_on(locker: asyncpg.Connection) -> None:
    """Wait until a session queues behind the lock, then end it as a restart would."""
    ended = 0
    while not ended:
        ended = await locker.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        await asyncio.sleep(0.02)


async def test_a_read_cut_off_mid_query_is_answered_from_a_fresh_connection(pg: str) -> None:
    container = Container(make_settings(database_url=pg))
    try:
        hotel, _ = await seed_hotel(container, tz="Asia/Seoul")
        assert await container.availability.hotel_timezone(hotel.id) == "Asia/Seoul"  # the pool is warm
        async with _catalog_locked(pg) as locker:
            asked = asyncio.create_task(container.availability.hotel_timezone(hotel.id))
            await _end_sessions_waiting_on(locker)
        assert await asked == "Asia/Seoul"
        assert await container.availability.hotels() == [(hotel.id, hotel.name)]
    finally:
        await container.close()


async def test_a_pooled_connection_left_busy_is_thrown_away_and_the_read_answered(pg: str) -> None:
    container = Container(make_settings(database_url=pg, db_pool_size=1))
    reader = container.reader("reservation")
    try:
        hotel, _ = await seed_hotel(container, tz="Asia/Seoul")
        # The reader's only pooled connection goes back to the pool with an operation still in
        # progress on it, as an operation interrupted by a restart can leave it.
        async with reader.connect() as conn:
            raw = await conn.get_raw_connection()
            busy = asyncio.create_task(raw.driver_connection.fetch("SELECT pg_sleep(60)"))
            await asyncio.sleep(0.1)
        assert await container.availability.hotels() == [(hotel.id, hotel.name)]
        assert await container.availability.hotel_timezone(hotel.id) == "Asia/Seoul"
        with contextlib.suppress(Exception):
            await busy  # ended with the connection it was left on
        async with reader.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await container.close()
