"""Claims of timed work that belongs to no context's state (e.g. a guest's check-in reminder):
one row per (job, due slot); whoever inserts it runs the job, everyone else skips it. A claim row
is simpler than a leader lease (no renewal, no failover window) and works on SQLite too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import scheduled_runs
from infra.db.uow import inserting_ignored

_UNCLAIM = delete(scheduled_runs).where(
    scheduled_runs.c.job == bindparam("b_job"), scheduled_runs.c.slot == bindparam("b_slot")
)


class JobClaims:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(self, job: str, slot: str, at: datetime) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                inserting_ignored(conn.dialect.name, scheduled_runs), {"job": job, "slot": slot, "claimed_at": at}
            )
            return bool(result.rowcount == 1)

    async def unclaim(self, job: str, slot: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_UNCLAIM, {"b_job": job, "b_slot": slot})
