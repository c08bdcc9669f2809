"""Readiness checks of the stored state a process needs: each database answers and is at the
migration head this code expects."""

from __future__ import annotations

import asyncio
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engines import impatiently
from infra.db.migrate import alembic_config

TIMEOUT_S = 2.0


@cache
def heads(context: str) -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config(context, "")).get_heads())


async def database_problem(context: str, engine: AsyncEngine, timeout_s: float = TIMEOUT_S) -> str | None:
    """None when `context`'s database answers and is at head; else what is wrong, in a few words."""
    try:
        with impatiently():  # whether it is there now, not once a restart is over
            async with asyncio.timeout(timeout_s), engine.connect() as conn:
                versions = set((await conn.scalars(text(f"SELECT version_num FROM alembic_version_{context}"))).all())
    except TimeoutError:
        return f"{context} database: no answer within {timeout_s:.0f}s"
    except Exception as exc:
        return f"{context} database: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    expected = heads(context)
    if versions != expected:
        found = ",".join(sorted(versions)) or "nothing"
        return f"{context} database at {found}, the code expects {','.join(sorted(expected))}"
    return None
