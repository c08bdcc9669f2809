"""The bot's conversation and user state in the database: what PTB writes in one round is kept,
what a failed write held is written by the next one, and a cleared user is gone — on
PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from infra.db.bot_state import SqlPersistence
from infra.db.migrate import upgrade
from tests.conftest import make_settings


@pytest.fixture(params=["postgresql", "sqlite"])
async def url(request: pytest.FixtureRequest, pg: str, sqlite_url: str) -> str:
    if request.param == "sqlite":
        await upgrade(make_settings(database_url=sqlite_url))
        return sqlite_url
    return pg


async def test_one_round_of_writes_is_kept_and_read_back(url: str) -> None:
    engine = create_async_engine(url)
    try:
        persistence = SqlPersistence(engine)
        # PTB writes every changed user and conversation of an interval at once
        await asyncio.gather(
            *(
                persistence.update_user_data(user, {"lang": "ko", "booking": {"guests": user % 4}})
                for user in range(50)
            ),
            *(persistence.update_conversation("booking", (user, user), 3) for user in range(50)),
        )
        await persistence.update_user_data(7, {})  # a user with nothing left is dropped

        fresh = SqlPersistence(engine)  # a restarted bot
        users = await fresh.get_user_data()
        assert len(users) == 49 and 7 not in users
        assert users[12] == {"lang": "ko", "booking": {"guests": 0}}
        conversations = await fresh.get_conversations("booking")
        assert len(conversations) == 50 and conversations[(12, 12)] == 3
    finally:
        await engine.dispose()


async def test_a_failed_write_is_not_lost(url: str) -> None:
    engine = create_async_engine(url)
    try:
        persistence = SqlPersistence(engine)
        real_write = persistence._write
        calls = 0

        async def database_away_once(batch: dict[tuple[str, str], str | None]) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionError("database went away")
            await real_write(batch)

        persistence._write = database_away_once  # type: ignore[method-assign]
        # one round of two users fails once: both hear it, and the database was asked once
        outcomes = await asyncio.gather(
            persistence.update_user_data(1, {"lang": "en", "booking": {"check_in": "2027-01-03"}}),
            persistence.update_conversation("booking", (1, 1), 2),
            return_exceptions=True,
        )
        assert [type(o) for o in outcomes] == [ConnectionError, ConnectionError] and calls == 1
        await persistence.update_user_data(2, {"lang": "ko"})  # the next round writes all of it
        assert await SqlPersistence(engine).get_user_data() == {
            1: {"lang": "en", "booking": {"check_in": "2027-01-03"}},
            2: {"lang": "ko"},
        }
        assert await SqlPersistence(engine).get_conversations("booking") == {(1, 1): 2}

        calls = 0  # and when no round comes after the failure, shutting down writes it
        with pytest.raises(ConnectionError):
            await persistence.update_user_data(3, {"lang": "en"})
        await persistence.flush()
        assert (await SqlPersistence(engine).get_user_data())[3] == {"lang": "en"}
    finally:
        await engine.dispose()
