"""The HTTP API's Idempotency-Key store: a row per (principal, key), claimed under its primary key
before the request is handled and given the answer after, so a repeated request gets the answer
of the first and never books or charges again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import idempotency_keys
from infra.db.uow import inserting_ignored

_ROW = select(idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response).where(
    idempotency_keys.c.principal == bindparam("b_principal"), idempotency_keys.c.key == bindparam("b_key")
)
_ANSWER = (
    update(idempotency_keys)
    .where(idempotency_keys.c.principal == bindparam("b_principal"), idempotency_keys.c.key == bindparam("b_key"))
    .values(status_code=bindparam("status_code"), response=bindparam("response"))
)
_FORGET = delete(idempotency_keys).where(
    idempotency_keys.c.principal == bindparam("b_principal"),
    idempotency_keys.c.key == bindparam("b_key"),
    idempotency_keys.c.status_code.is_(None),
)


@dataclass(frozen=True)
class Claim:
    """`first`: this request claimed the key. Otherwise the earlier request's hash and its answer
    (status None: still being answered)."""

    first: bool
    request_hash: str = ""
    status_code: int | None = None
    response: str | None = None


class IdempotencyKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def claim(self, principal: str, key: str, request_hash: str) -> Claim:
        async with self.engine.begin() as conn:
            inserted = await conn.execute(
                inserting_ignored(conn.dialect.name, idempotency_keys),
                {"principal": principal, "key": key, "request_hash": request_hash, "created_at": datetime.now(UTC)},
            )
            if inserted.rowcount == 1:
                return Claim(first=True)
            row = (await conn.execute(_ROW, {"b_principal": principal, "b_key": key})).one()
        return Claim(first=False, request_hash=row.request_hash, status_code=row.status_code, response=row.response)

    async def answer(self, principal: str, key: str, status_code: int, response: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                _ANSWER, {"b_principal": principal, "b_key": key, "status_code": status_code, "response": response}
            )

    async def release(self, principal: str, key: str) -> None:
        """The request failed in a way worth trying again (a transient error): free the key."""
        async with self.engine.begin() as conn:
            await conn.execute(_FORGET, {"b_principal": principal, "b_key": key})
