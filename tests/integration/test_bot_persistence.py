"""The bot's conversation and user state in the database, per update: what one turn writes the
next turn reads, on PostgreSQL and SQLite; a cleared row is gone; and on PostgreSQL a user's turn
taken by one process makes another process wait for it, then read what it wrote."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from infra.db.bot_state import SqlBotState
from infra.db.engines import make_engine

USER = ("user", "7")
BOOKING = ("conversation:booking", "[7, 7]")


async def test_what_a_turn_writes_the_next_turn_reads_and_a_cleared_row_is_gone(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    try:
        state = SqlBotState(engine)
        async with state.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {}
            await lane.save({USER: {"lang": "ko", "booking": {"guests": 2}}, BOOKING: 3})
        restarted = SqlBotState(engine)  # another process, or this one after a restart
        async with restarted.hold(7) as lane:
            assert await lane.load([USER, BOOKING, ("user", "8")]) == {
                USER: {"lang": "ko", "booking": {"guests": 2}},
                BOOKING: 3,
            }
            await lane.save({BOOKING: None})  # the conversation ended
        async with state.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {USER: {"lang": "ko", "booking": {"guests": 2}}}
    finally:
        await engine.dispose()


async def test_a_users_turn_on_one_replica_holds_back_the_same_users_turn_on_another(pg: str) -> None:
    first, second = create_async_engine(pg), create_async_engine(pg)  # two processes' own pools
    try:
        here, there = SqlBotState(first), SqlBotState(second)
        order: list[str] = []
        inside = asyncio.Event()

        async def slow_step_here() -> None:
            async with here.hold(7) as lane:
                inside.set()
                await asyncio.sleep(0.3)  # the handler is still at work
                await lane.save({BOOKING: 4})
                order.append("here wrote step 4")

        async def next_step_there() -> None:
            await inside.wait()
            async with there.hold(7) as lane:
                order.append(f"there read step {(await lane.load([BOOKING]))[BOOKING]}")

        async def other_user_there() -> None:
            await inside.wait()
            async with there.hold(8):
                order.append("another user went ahead")

        await asyncio.gather(slow_step_here(), next_step_there(), other_user_there())
        assert order == ["another user went ahead", "here wrote step 4", "there read step 4"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_turn_that_fails_writes_nothing_and_frees_the_user(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1)  # the same connection serves the next turn
    try:
        state = SqlBotState(engine)
        with pytest.raises(RuntimeError):
            async with state.hold(7) as lane:
                if state.locking:  # on SQLite each save commits at once: nothing to undo
                    await lane.save({BOOKING: 5})
                raise RuntimeError("the handler's process was told to stop")
        async with state.hold(7) as lane:  # not left locked, nor inside a transaction
            assert await lane.load([BOOKING]) == {}
            await lane.save({BOOKING: 2})
        async with state.hold(7) as lane:
            assert await lane.load([BOOKING]) == {BOOKING: 2}
    finally:
        await engine.dispose()


async def test_the_one_polling_process_remembers_what_it_wrote_and_a_restart_reads_it_back(pg: str) -> None:
    engine = make_engine(pg, pool_size=2)
    try:
        state = SqlBotState(engine, single=True)
        async with state.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {}
            await lane.save({USER: {"lang": "ko", "seen": [41]}, BOOKING: 3})
        async with state.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {USER: {"lang": "ko", "seen": [41]}, BOOKING: 3}
            await lane.save({BOOKING: None})  # the conversation ended
        await state.close()  # the process stops: its connections go back
        restarted = SqlBotState(engine, single=True)  # the process after a restart: nothing in memory
        async with restarted.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {USER: {"lang": "ko", "seen": [41]}}
        await restarted.close()
        locking = SqlBotState(engine)  # and what it wrote is what a replica in webhook mode reads
        async with locking.hold(7) as lane:
            assert await lane.load([USER, BOOKING]) == {USER: {"lang": "ko", "seen": [41]}}
    finally:
        await engine.dispose()


async def test_the_one_polling_process_forgets_what_it_could_not_write(pg: str) -> None:
    engine = make_engine(pg, pool_size=1)
    try:
        state = SqlBotState(engine, single=True)
        async with state.hold(7) as lane:
            await lane.save({BOOKING: 2})
        async with state.hold(7) as lane:
            with pytest.raises(asyncpg.StringDataRightTruncationError):  # refused: none of it is written
                await lane.save({BOOKING: 3, ("k" * 40, "7"): 1})
        async with state.hold(7) as lane:  # read again from the database: still step 2
            assert await lane.load([BOOKING]) == {BOOKING: 2}
    finally:
        await engine.dispose()


async def test_the_one_polling_process_goes_on_after_the_database_ended_every_session(pg: str) -> None:
    """Its turns keep a connection or two between updates: ended under it (a restart, a failover),
    the next turn writes and reads on a fresh one, and nothing it wrote is lost."""
    engine = make_engine(pg, pool_size=3)
    try:
        state = SqlBotState(engine, single=True)
        async with state.hold(7) as lane:
            await lane.save({BOOKING: 2})
        killer = await asyncpg.connect(pg.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            ended = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await killer.close()
        assert ended >= 1
        async with state.hold(7) as lane:
            await lane.save({BOOKING: 3})
        async with state.hold(8) as lane:  # a user it never saw: read from the database
            assert await lane.load([("user", "8")]) == {}
        await state.close()
        restarted = SqlBotState(engine, single=True)
        async with restarted.hold(7) as lane:
            assert await lane.load([BOOKING]) == {BOOKING: 3}
        await restarted.close()
    finally:
        await engine.dispose()
