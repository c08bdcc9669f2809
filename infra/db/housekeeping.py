"""Pruning what has served its purpose: processed inbox rows and sent outbox rows of every
context, old job claims and notices, and the state of conversations nobody touched for long.
Only the bookkeeping of messages goes; no context's state is ever pruned."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import MESSAGING, bot_state, notices, scheduled_runs


async def prune(engines: Mapping[str, AsyncEngine], app: AsyncEngine, before: datetime) -> int:
    """`engines`: each context's engine. Returns the number of rows removed."""
    pruned = 0
    for context, engine in engines.items():
        m = MESSAGING[context]
        async with engine.begin() as conn:
            pruned += (await conn.execute(delete(m.inbox).where(m.inbox.c.processed_at < before))).rowcount
            pruned += (await conn.execute(delete(m.outbox).where(m.outbox.c.published_at < before))).rowcount
    async with app.begin() as conn:
        pruned += (await conn.execute(delete(scheduled_runs).where(scheduled_runs.c.claimed_at < before))).rowcount
        pruned += (await conn.execute(delete(notices).where(notices.c.claimed_at < before))).rowcount
        pruned += (await conn.execute(delete(bot_state).where(bot_state.c.updated_at < before))).rowcount
    return int(pruned)
