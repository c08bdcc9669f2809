"""Every context's migrations, on SQLite and PostgreSQL, up and down, and split across databases."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from infra.config import DATABASES
from infra.db.migrate import downgrade_sync, upgrade_sync
from infra.db.tables import METADATA
from tests.conftest import create_database, drop_database, make_settings
from tests.integration.helpers import place, seed_hotel, stay

pytestmark = pytest.mark.integration


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _expected(*contexts: str) -> set[str]:
    return {t for c in contexts for t in METADATA[c].tables} | {f"alembic_version_{c}" for c in contexts}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_migrations_create_every_table_and_downgrade_to_nothing(backend: str, sqlite_url: str) -> None:
    name = f"hotelbot_mig_{uuid.uuid4().hex[:8]}"
    url = sqlite_url if backend == "sqlite" else await create_database(name)
    try:
        settings = make_settings(database_url=url)
        await asyncio.to_thread(upgrade_sync, settings)
        assert await _tables(url) == _expected(*DATABASES)
        await asyncio.to_thread(upgrade_sync, settings)  # a second run is a no-op
        await asyncio.to_thread(downgrade_sync, settings)
        assert await _tables(url) - {f"alembic_version_{c}" for c in DATABASES} == set()
    finally:
        if backend == "postgresql":
            await drop_database(name)


async def test_reservation_on_postgresql_and_view_on_sqlite_in_one_run(sqlite_url: str) -> None:
    from main.bootstrap import Container
    from main.processes import Runtime

    name = f"hotelbot_split_{uuid.uuid4().hex[:8]}"
    pg = await create_database(name)
    view_url = sqlite_url.replace("hotelbot.db", "view.db")
    try:
        settings = make_settings(database_url=sqlite_url, reservation_database_url=pg, view_database_url=view_url)
        runtime = Runtime(
            settings,
            bot=False,
            consumers=("reservation", "hotel", "payment", "view"),
            scheduler=False,
            relay_sweep_s=0.2,
        )
        await runtime.start()
        container: Container = runtime.container
        try:
            # the room reaches the reservation context through the bus
            _, (room,) = await seed_hotel(container, sync_catalog=False)
            check_in, check_out = stay(container)
            reservation = await container.handle(place(room, 77, check_in, check_out))
            for _ in range(100):
                row = await container.views.reservation(reservation.id)
                if row is not None and row.room_number:
                    break
                await asyncio.sleep(0.05)
            assert row is not None and (row.status, row.payment_status) == ("placed", "approved")
        finally:
            await runtime.stop()
        assert "reservation_reservations" in await _tables(pg)
        assert "reservation_reservations" not in await _tables(view_url)
        assert "view_reservations" in await _tables(view_url)
        assert "view_reservations" not in await _tables(pg)
    finally:
        await drop_database(name)
