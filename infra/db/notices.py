"""What the notifier told whom. A message is claimed (a row per event and recipient, inserted
under its primary key) before it is sent and marked sent after: two copies of one event, handled
at once or one after the other, can never both send it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.shared.errors import NotReadyYet
from infra.db.tables import notices
from infra.db.uow import inserting_ignored

# A claim not marked sent after this long belongs to a delivery that died mid-send: it is taken
# over (the message may then arrive twice, the price of never losing it).
LEASE = timedelta(seconds=60)

_ROW = select(notices.c.sent_at, notices.c.claimed_at).where(
    notices.c.event_id == bindparam("b_event"), notices.c.chat_id == bindparam("b_chat")
)
_TAKE_OVER = (
    update(notices)
    .where(
        notices.c.event_id == bindparam("b_event"),
        notices.c.chat_id == bindparam("b_chat"),
        notices.c.sent_at.is_(None),
        notices.c.claimed_at < bindparam("b_stale"),
    )
    .values(claimed_at=bindparam("b_now"))
)
_DONE = (
    update(notices)
    .where(notices.c.event_id == bindparam("b_event"), notices.c.chat_id == bindparam("b_chat"))
    .values(sent_at=bindparam("b_now"), message_id=bindparam("b_message"))
)
_RELEASE = delete(notices).where(
    notices.c.event_id == bindparam("b_event"), notices.c.chat_id == bindparam("b_chat"), notices.c.sent_at.is_(None)
)
_KINDS = select(notices.c.kind).where(notices.c.reservation_id == bindparam("b_reservation")).distinct()


class NoticeInProgress(NotReadyYet):
    """Another delivery of this event is sending this message right now: look again later."""


class SqlNotices:
    """Every write here is one statement, or statements each complete on its own (a claim's
    insert, then the look at a row it found, then a take-over guarded by its own WHERE): on
    PostgreSQL they run in autocommit, one round trip each instead of BEGIN, the statement and
    COMMIT. Read committed gave the claim's statements nothing more inside one transaction: no
    lock is taken between them. SQLite keeps its transactions (no round trips to save)."""

    def __init__(self, engine: AsyncEngine) -> None:
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")  # the same pool
        self.engine = engine

    async def claim(self, event_id: UUID, chat_id: int, reservation_id: UUID, kind: str) -> bool:
        """True: send it now. False: it was sent (or found unsendable) already."""
        now = datetime.now(UTC)
        key = {"b_event": event_id, "b_chat": chat_id}
        async with self.engine.begin() as conn:
            inserted = await conn.execute(
                inserting_ignored(conn.dialect.name, notices),
                {
                    "event_id": event_id,
                    "chat_id": chat_id,
                    "reservation_id": reservation_id,
                    "kind": kind,
                    "claimed_at": now,
                },
            )
            if inserted.rowcount == 1:
                return True
            row = (await conn.execute(_ROW, key)).first()
            if row is not None and row.sent_at is not None:
                return False  # sent (or found unsendable) by an earlier delivery
            if row is None:  # released a moment ago by a delivery that failed: try again shortly
                raise NoticeInProgress(f"{kind} for {chat_id} was just given back")
            taken = await conn.execute(_TAKE_OVER, {**key, "b_stale": now - LEASE, "b_now": now})
            if taken.rowcount == 1:
                return True
        raise NoticeInProgress(f"{kind} for {chat_id} is being sent by another delivery")

    async def done(self, event_id: UUID, chat_id: int, message_id: int | None) -> None:
        """Mark it sent. The message is out already: if the database went away under the mark
        (a restart), the mark is written again on a fresh connection (writing it twice is
        harmless), or the claim would be taken over once its lease ends and the message sent twice."""
        values = {"b_event": event_id, "b_chat": chat_id, "b_now": datetime.now(UTC), "b_message": message_id}
        try:
            async with self.engine.begin() as conn:
                await conn.execute(_DONE, values)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            async with self.engine.begin() as conn:
                await conn.execute(_DONE, values)

    async def release(self, event_id: UUID, chat_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_RELEASE, {"b_event": event_id, "b_chat": chat_id})

    async def note(self, event_id: UUID, reservation_id: UUID, kind: str) -> None:
        """Claimed and marked sent in one statement: nothing is sent in between, so there is no
        claim to guard (a second delivery of the event finds the row and writes nothing)."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(
                inserting_ignored(conn.dialect.name, notices),
                {
                    "event_id": event_id,
                    "chat_id": 0,
                    "reservation_id": reservation_id,
                    "kind": kind,
                    "claimed_at": now,
                    "sent_at": now,
                },
            )

    async def kinds(self, reservation_id: UUID) -> set[str]:
        """Which kinds of message about this reservation were claimed so far."""
        async with self.engine.connect() as conn:
            return set((await conn.scalars(_KINDS, {"b_reservation": reservation_id})).all())
